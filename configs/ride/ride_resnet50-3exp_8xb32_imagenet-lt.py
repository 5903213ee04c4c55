# RIDE (Wang et al., ICLR 2021, "Long-tailed Recognition by Routing Diverse
# Distribution-Aware Experts") on ImageNet-LT, stage one: the experts. The
# CE config's data and evaluation (ce_resnet50_8xb64_imagenet-lt.py) with
# the authors' model and recipe (config_imagenet_lt_resnet50_ride.json and
# RIDELoss defaults, frank-xwang/RIDE-LongTailRecognition):
# - ResNet-50, stem and first two stages shared, 3 experts with reduced
#   third and fourth stages (192x4 and 384x4 = 768 and 1536 channels:
#   `reduce_dimension`);
# - cosine classifiers scaled by s = 30, LDAM margins with the largest 0.5;
# - diversity factor -0.2, base diversity temperature 1, reweight factor
#   0.02;
# - DRW (effective number, beta 0.9999) and the per-class temperature from
#   epoch 80 (0-based; `reweight_epoch` 80 of the authors' 1-based loop);
# - 100 epochs, total batch 256, SGD lr 0.1, momentum 0.9, weight decay
#   2e-4, Nesterov; 5 linear warm-up epochs (as the CIFAR recipe's), lr x0.1
#   at epochs 60 and 80.
# Stage two: ride-router_resnet50-3exp_8xb64_imagenet-lt.py; RIDE + GML:
# configs/gml/ride-gml_resnet50-3exp_8xb32_imagenet-lt.py.
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

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
        num_classes=1000,
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

train_dataloader = dict(batch_size=32)

optim_wrapper = dict(
    optimizer=dict(lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=True))

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
auto_scale_lr = dict(base_batch_size=256)

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) and RIDE's per-class diversity temperature from it on.
    dict(type='DeferredReweightingHook', drw_epoch=80, beta=0.9999),
]

# The average number of experts per test sample besides the long-tail
# metrics.
test_evaluator = [_base_.val_evaluator, dict(type='ExpertUsageMetric')]
