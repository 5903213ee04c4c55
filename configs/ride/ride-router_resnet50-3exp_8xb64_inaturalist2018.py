# RIDE (Wang et al., ICLR 2021) on iNaturalist 2018, stage two: the
# expert-assignment router on the frozen experts of
# ride_resnet50-3exp_8xb64_inaturalist2018.py. Hyper-parameters from the
# authors' config_iNaturalist_resnet50_ride_ea.json (the same as on
# ImageNet-LT): 5 epochs, class-balanced batches of 512, SGD lr 0.01
# (momentum 0.9, weight decay 5e-4, Nesterov), cosine decay, top 50 mean
# logits, positive-class weight 100. Pass the stage-one checkpoint with
# --cfg-options load_from=.../epoch_100.pth.
_base_ = './ride_resnet50-3exp_8xb64_inaturalist2018.py'

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
