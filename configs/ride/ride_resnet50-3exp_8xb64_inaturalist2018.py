# RIDE (Wang et al., ICLR 2021) on iNaturalist 2018, stage one: the
# experts. The CE config's data and evaluation
# (ce_resnet50_8xb64_inaturalist2018.py) with the ImageNet-LT RIDE model
# (ride_resnet50-3exp_8xb32_imagenet-lt.py: 3 reduced ResNet-50 experts,
# cosine classifiers with s = 30, LDAM margins up to 0.5, diversity factor
# -0.2, base temperature 1) and the authors' iNaturalist recipe
# (config_iNaturalist_resnet50_ride.json): reweight factor 0.015, DRW and
# the per-class temperature from epoch 80 (0-based), 100 epochs, total batch
# 512, SGD lr 0.2, momentum 0.9, weight decay 2e-4, Nesterov, 5 warm-up
# epochs, lr x0.1 at epochs 60 and 80.
# Stage two: ride-router_resnet50-3exp_8xb64_inaturalist2018.py.
_base_ = ['../ce/ce_resnet50_8xb64_inaturalist2018.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='RIDEResNet',
        depth=50,
        num_experts=3,
        expert_channels=(768, 1536)),
    head=dict(
        _delete_=True,
        type='RIDEHead',
        num_classes=8142,
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
            reweight_factor=0.015),
        topk=(1, 5)))

optim_wrapper = dict(
    optimizer=dict(lr=0.2, momentum=0.9, weight_decay=2e-4, nesterov=True))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[60, 80],
        gamma=0.1,
        begin=5,
        end=100),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
auto_scale_lr = dict(base_batch_size=512)

custom_hooks = _base_.custom_hooks + [
    dict(type='DeferredReweightingHook', drw_epoch=80, beta=0.9999),
]

test_evaluator = [_base_.val_evaluator, dict(type='ExpertUsageMetric')]
