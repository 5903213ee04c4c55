# RIDE (Wang et al., ICLR 2021) on ImageNet-LT, stage two: the
# expert-assignment router on the frozen experts of
# ride_resnet50-3exp_8xb32_imagenet-lt.py (see
# ride-router_resnet32-3exp_1xb512_cifar100-lt-r100.py for the mechanism).
# Hyper-parameters from the authors' config_imagenet_lt_resnet50_ride_ea.json:
# 5 epochs, class-balanced batches of 512 (8 x 64 here), SGD lr 0.01
# (momentum 0.9, weight decay 5e-4, Nesterov) with cosine decay to 0, the 50
# largest mean logits and a 16-unit feature branch as the router's input,
# positive-class weight 100. Pass the stage-one checkpoint with
# --cfg-options load_from=.../epoch_100.pth.
_base_ = './ride_resnet50-3exp_8xb32_imagenet-lt.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        router=dict(
            top_k=50, hidden_channels=16, pos_weight=100.0, threshold=0.5),
        train_router=True))

train_dataloader = dict(
    batch_size=64, sampler=dict(_delete_=True, type='ClassAwareSampler'))

optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    # Freeze the experts before the first epoch, after load_from is loaded;
    # only head.router trains.
    dict(
        type='DecoupledStageHook',
        switch_epoch=0,
        freeze=['backbone', 'neck', 'head.classifiers']),
]

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=5,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=5, val_interval=1)
auto_scale_lr = dict(base_batch_size=512)
