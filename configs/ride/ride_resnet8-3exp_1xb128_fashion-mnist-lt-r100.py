# RIDE (Wang et al., ICLR 2021, "Long-tailed Recognition by Routing Diverse
# Distribution-Aware Experts") on Fashion-MNIST-LT (IF 100), stage one: the
# experts, on the CE config's short recipe (6 epochs, batch 128, SGD lr 0.1,
# weight decay 5e-4, one warm-up epoch, cosine decay) with Nesterov added
# (RIDE's optimizer). The small variant of RIDE's CIFAR model: ResNet-8
# (one block per stage), stem and first stage (16 channels) shared, 3
# experts with RIDE's reduced second and third stages (24 and 48 channels
# instead of 32 and 64). Loss as on CIFAR-100-LT (the authors' RIDELoss
# defaults): cosine classifiers with s = 30, LDAM margins up to 0.5,
# diversity factor -0.2, base temperature 1, reweight factor 0.05. DRW and
# the per-class temperature in the last of the 6 epochs (drw_epoch=5,
# 0-based), as the LDAM-DRW Fashion-MNIST-LT config scales the CIFAR
# recipe's last 40 of 200 epochs.
# Stage two: ride-router_resnet8-3exp_1xb512_fashion-mnist-lt-r100.py.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RIDECifarResNet',
        depth=8,
        in_channels=1,
        num_experts=3,
        expert_channels=(24, 48)),
    head=dict(
        _delete_=True,
        type='RIDEHead',
        num_classes=10,
        in_channels=48,
        num_experts=3,
        classifier='cosine',
        scale=30.0,
        loss=dict(
            type='RIDELoss',
            max_m=0.5,
            s=30.0,
            diversity_factor=-0.2,
            base_temperature=1.0,
            reweight_factor=0.05)))

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = _base_.custom_hooks + [
    dict(type='DeferredReweightingHook', drw_epoch=5, beta=0.9999),
]

test_evaluator = [_base_.val_evaluator, dict(type='ExpertUsageMetric')]
