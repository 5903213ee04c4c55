# CE + GML ("No One Left Behind", Du and Wu, CVPR 2023, Tab. 4) on
# ImageNet-LT: the CE ResNet-50's backbone is frozen (weights and BN
# statistics), its linear classifier re-initialised and fine-tuned with the
# geometric mean loss, re-weighted by the training counts, on the usual
# instance-balanced batches. Pass the stage-one (CE) checkpoint, e.g.
#   CE=work_dirs/ce_resnet50_8xb64_imagenet-lt
#   CFG=configs/gml/ce-gml_resnet50_8xb64_imagenet-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$CE/epoch_200.pth
# Stage one is configs/ce/ce_resnet50_8xb64_imagenet-lt.py.
# Schedule: the GML paper gives none ("a few epochs"); this is the length of
# Kang et al.'s cRT stage on ImageNet-LT (10 epochs, cosine to 0, no warm-up)
# with the stage-one SGD (lr 0.2 for a total batch of 512).
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
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
