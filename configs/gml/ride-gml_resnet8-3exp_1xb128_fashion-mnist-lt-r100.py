# RIDE + GML on Fashion-MNIST-LT (IF 100): the GML classifier stage of
# ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (2 epochs, cosine lr from
# 0.1, the geometric mean loss re-weighted by the training counts) on RIDE's
# experts (configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py);
# one re-initialised linear classifier per expert on its frozen pooled
# feature, the prediction the mean of the experts' logits (see
# ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100.py for the choice).
# Optimizer as the CE-based GML stage (no Nesterov). Pass the RIDE
# stage-one checkpoint with --cfg-options load_from=.../epoch_6.pth.
_base_ = '../ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py'

# Required: the RIDE stage-one checkpoint (see above).
load_from = None

model = dict(
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
        end=2,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=2, val_interval=1)
