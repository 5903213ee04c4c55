# CE + GML ("No One Left Behind", Du and Wu, CVPR 2023, Tab. 5) on Places-LT:
# the CE ResNet-152's backbone is frozen (weights and BN statistics), its
# linear classifier re-initialised and fine-tuned with the geometric mean
# loss, re-weighted by the training counts, on the usual instance-balanced
# batches. Pass the stage-one (CE) checkpoint, e.g.
#   CE=work_dirs/ce_resnet152_8xb32_places-lt
#   CFG=configs/gml/ce-gml_resnet152_8xb32_places-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$CE/epoch_30.pth
# Stage one is configs/ce/ce_resnet152_8xb32_places-lt.py.
# Schedule: the GML paper gives none ("a few epochs"); 10 epochs, cosine to 0,
# no warm-up, with the stage-one SGD (lr 0.01 for a total batch of 256).
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    # The backbone comes from the stage-one checkpoint: no need to fetch the
    # ImageNet weights stage one started from.
    backbone=dict(init_cfg=None),
    head=dict(
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck (weights and BN statistics) and re-initialise
    # the head before the first epoch, after load_from is loaded.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=True),
]

# A fresh cosine schedule for the classifier, no warm-up.
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
