# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss (Jamal et al., CVPR 2020, Algorithm 1): ResNet-50 (the
# CE baseline's network; the paper's slides name a ResNet-32) on ImageNet-LT
# with 20 development images per class, GLAG's 200-epoch cosine recipe;
# meta stage from epoch 160. Paper 002, ImageNet-LT table: "Ours, CE".
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt_with_dev.py',
    '../_base_/schedules/imagenet_lt_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the paper gives none; tau * lr / batch ~ 0.08 as in the CIFAR
    # configs (lr ~ 0.019 at epoch 160, global batch 512).
    meta_lr=2000.0,
    meta_start_epoch=160,
    variant='class_balanced',
    beta=0.9999,
    head=dict(num_classes=1000))

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base).
    dict(type='MetaReweightHook'),
]
