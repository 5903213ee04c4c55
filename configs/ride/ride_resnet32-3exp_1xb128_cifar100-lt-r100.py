# RIDE (Wang et al., ICLR 2021, "Long-tailed Recognition by Routing Diverse
# Distribution-Aware Experts") on CIFAR-100-LT (IF 100), stage one: the
# experts. The CE config (ce_resnet32_1xb128_cifar100-lt-r100.py: the
# LDAM-DRW recipe, 200 epochs, batch 128, lr 0.1, 5 warm-up epochs, lr x0.01
# at epochs 160 and 180) with the model, the optimizer's weight decay and
# Nesterov, and the DRW hook changed. Hyper-parameters from the authors'
# config_imbalance_cifar100_ride.json and RIDELoss defaults
# (frank-xwang/RIDE-LongTailRecognition):
# - ResNet-32, stem and first stage shared, 3 experts with reduced stages
#   (24 and 48 channels: `reduce_dimension`);
# - cosine classifiers scaled by s = 30 (`use_norm`), LDAM margins with the
#   largest 0.5;
# - diversity factor -0.2, base diversity temperature 1, reweight factor
#   0.05 (the per-class temperature of the distribution-aware diversity
#   loss);
# - DRW (effective number, beta 0.9999) and the per-class temperature from
#   epoch 160 (0-based; `reweight_epoch` 160 of the authors' 1-based loop);
# - SGD lr 0.1, momentum 0.9, weight decay 5e-4, Nesterov.
# Stage two (the expert-assignment router):
# ride-router_resnet32-3exp_1xb512_cifar100-lt-r100.py.
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RIDECifarResNet',
        depth=32,
        num_experts=3,
        expert_channels=(24, 48)),
    head=dict(
        _delete_=True,
        type='RIDEHead',
        num_classes=100,
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

optim_wrapper = dict(optimizer=dict(weight_decay=5e-4, nesterov=True))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on; RIDELoss switches to the per-class diversity
    # temperature with them.
    dict(type='DeferredReweightingHook', drw_epoch=160, beta=0.9999),
]

# The average number of experts per test sample besides the long-tail
# metrics (3 here: stage one has no router).
test_evaluator = [_base_.val_evaluator, dict(type='ExpertUsageMetric')]
