# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss (Jamal et al., CVPR 2020, Algorithm 1): ResNet-50 on
# iNaturalist 2017 with 5 development images per class, GLAG's 90-epoch
# cosine recipe (the CE config's); meta stage from epoch 72 (80% of the
# run, as 160/200 on CIFAR). Paper 002, iNat 2017 table: "Ours, CE".
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/inaturalist2017_with_dev.py',
    '../_base_/schedules/inaturalist_90e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the paper gives none; tau * lr / batch ~ 0.08 as in the CIFAR
    # configs (lr ~ 0.019 at epoch 72, global batch 512).
    meta_lr=2000.0,
    meta_start_epoch=72,
    variant='class_balanced',
    beta=0.9999,
    head=dict(num_classes=5089))

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base).
    dict(type='MetaReweightHook'),
]
