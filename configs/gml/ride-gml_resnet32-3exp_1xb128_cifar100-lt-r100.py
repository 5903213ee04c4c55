# RIDE + GML on CIFAR-100-LT (IF 100): the GML classifier stage
# (ce-gml_resnet32_1xb128_cifar100-lt-r100.py: 10 epochs, cosine lr from
# 0.1, the geometric mean loss re-weighted by the training counts,
# instance-balanced batches) on RIDE's experts
# (configs/ride/ride_resnet32-3exp_1xb128_cifar100-lt-r100.py). "No One
# Left Behind" (Du and Wu, CVPR 2023) compares with RIDE but reports no
# RIDE + GML row. How GML maps onto several experts: the shared and expert
# backbone is frozen (weights and BN statistics), each expert's cosine
# classifier is replaced by a re-initialised linear one on that expert's
# pooled feature, each trained with the geometric mean loss on its own
# logits (the losses summed), and the prediction is the mean of the
# experts' logits over all experts (the router of RIDE's stage two was
# trained for the old classifiers and is not used). Linear rather than
# cosine: GML, like CE, has no logit scale (RIDE's s = 30 lives in its
# cosine classifiers). Optimizer as in the CE-based GML stage (weight decay
# 2e-4, no Nesterov). Pass the RIDE stage-one checkpoint, e.g.
#   S1=work_dirs/ride_resnet32-3exp_1xb128_cifar100-lt-r100
#   CFG=configs/gml/ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../ride/ride_resnet32-3exp_1xb128_cifar100-lt-r100.py'

# Required: the RIDE stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        classifier='linear',
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

optim_wrapper = dict(optimizer=dict(weight_decay=2e-4, nesterov=False))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    # Freeze backbone and neck (weights and BN statistics) and re-initialise
    # every expert's classifier before the first epoch, after load_from.
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
