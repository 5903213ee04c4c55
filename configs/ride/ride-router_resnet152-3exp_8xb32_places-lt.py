# RIDE (Wang et al., ICLR 2021) on Places-LT, stage two: the
# expert-assignment router on the frozen experts of
# ride_resnet152-3exp_8xb32_places-lt.py, with the authors' ImageNet-LT
# router recipe (config_imagenet_lt_resnet50_ride_ea.json): 5 epochs,
# class-balanced batches of 256 (8 x 32), SGD lr 0.01 (momentum 0.9, weight
# decay 5e-4, Nesterov), cosine decay, top 50 mean logits, positive-class
# weight 100. Pass the stage-one checkpoint with
# --cfg-options load_from=.../epoch_30.pth.
_base_ = './ride_resnet152-3exp_8xb32_places-lt.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    backbone=dict(init_cfg=None),
    head=dict(
        router=dict(
            top_k=50, hidden_channels=16, pos_weight=100.0, threshold=0.5),
        train_router=True))

train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
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
