# RIDE + GML on ImageNet-LT: the GML classifier stage of
# ce-gml_resnet50_8xb64_imagenet-lt.py (10 epochs, cosine lr, the geometric
# mean loss re-weighted by the training counts) on RIDE's experts
# (configs/ride/ride_resnet50-3exp_8xb32_imagenet-lt.py); one re-initialised
# linear classifier per expert on its frozen pooled feature, the prediction
# the mean of the experts' logits (see
# ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100.py for the choice). The
# GML paper ("No One Left Behind", Du and Wu, CVPR 2023) reports RIDE at
# 55.69 top-1 on ImageNet-LT but no RIDE + GML row. The CE-based GML stage's
# optimizer and batch (SGD lr 0.2 for 8 x 64, weight decay 5e-4, no
# Nesterov). Pass the RIDE stage-one checkpoint with
# --cfg-options load_from=.../epoch_100.pth.
_base_ = '../ride/ride_resnet50-3exp_8xb32_imagenet-lt.py'

# Required: the RIDE stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        classifier='linear',
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

train_dataloader = dict(batch_size=64)

optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=5e-4, nesterov=False))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=True),
]

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=10,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10, val_interval=1)
auto_scale_lr = dict(base_batch_size=512)
