# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss (Jamal et al., CVPR 2020, Algorithm 1): ResNet-152
# fine-tuned from ImageNet-1k on Places-LT with 10 development images per
# class, 30 epochs (lr 0.01, x0.1 at epochs 10 and 20, the CE config's);
# meta stage from epoch 20. Paper 002, Places-LT table: "Ours, CE".
_base_ = [
    '../_base_/models/resnet152.py',
    '../_base_/datasets/places_lt_with_dev.py',
    '../_base_/schedules/places_lt_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the paper gives none; tau * lr / batch ~ 0.08 as in the CIFAR
    # configs (lr 1e-4 from epoch 20, global batch 256).
    meta_lr=200000.0,
    meta_start_epoch=20,
    variant='class_balanced',
    beta=0.9999,
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(num_classes=365))

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base).
    dict(type='MetaReweightHook'),
]
train_dataloader = dict(batch_size=32)
dev_dataloader = dict(batch_size=32)
