# RIDE (Wang et al., ICLR 2021) on Places-LT, stage one: the experts. RIDE
# reports no Places-LT result, so this follows the project's Places-LT
# recipe (ce_resnet152_8xb32_places-lt.py: an ImageNet-1k ResNet-152
# fine-tuned for 30 epochs, total batch 256, SGD lr 0.01, momentum 0.9,
# weight decay 5e-4, lr x0.1 at epochs 10 and 20) with RIDE's ImageNet-LT
# model and loss (ride_resnet50-3exp_8xb32_imagenet-lt.py):
# - ResNet-152, stem and first two stages shared and loaded from the
#   ImageNet checkpoint (same module names); 3 experts with reduced third
#   and fourth stages (768 and 1536 channels), randomly initialised (the
#   checkpoint's wider stages do not fit them; its layer3/layer4 keys are
#   reported as unexpected);
# - cosine classifiers with s = 30, LDAM margins up to 0.5, diversity factor
#   -0.2, base temperature 1, reweight factor 0.02 (ImageNet-LT's);
# - DRW and the per-class temperature from epoch 20 (the last lr drop, as
#   the LDAM-DRW Places-LT config).
# Stage two: ride-router_resnet152-3exp_8xb32_places-lt.py.
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RIDEResNet',
        depth=152,
        num_experts=3,
        expert_channels=(768, 1536),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(
        _delete_=True,
        type='RIDEHead',
        num_classes=365,
        in_channels=1536,
        num_experts=3,
        classifier='cosine',
        scale=30.0,
        loss=dict(
            type='RIDELoss',
            max_m=0.5,
            s=30.0,
            diversity_factor=-0.2,
            base_temperature=1.0,
            reweight_factor=0.02),
        topk=(1, 5)))

optim_wrapper = dict(optimizer=dict(nesterov=True))

custom_hooks = _base_.custom_hooks + [
    dict(type='DeferredReweightingHook', drw_epoch=20, beta=0.9999),
]

test_evaluator = [_base_.val_evaluator, dict(type='ExpertUsageMetric')]
