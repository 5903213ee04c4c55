# RIDE + GML on Places-LT: the GML classifier stage of
# ce-gml_resnet152_8xb32_places-lt.py (10 epochs, cosine lr from the Places
# recipe's 0.01, the geometric mean loss re-weighted by the training counts)
# on RIDE's experts (configs/ride/ride_resnet152-3exp_8xb32_places-lt.py);
# one re-initialised linear classifier per expert on its frozen pooled
# feature, the prediction the mean of the experts' logits (see
# ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100.py for the choice).
# Optimizer as the CE-based GML stage (no Nesterov). Pass the RIDE
# stage-one checkpoint with --cfg-options load_from=.../epoch_30.pth.
_base_ = '../ride/ride_resnet152-3exp_8xb32_places-lt.py'

# Required: the RIDE stage-one checkpoint (see above).
load_from = None

model = dict(
    backbone=dict(init_cfg=None),
    head=dict(
        classifier='linear',
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

optim_wrapper = dict(optimizer=dict(nesterov=False))

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
