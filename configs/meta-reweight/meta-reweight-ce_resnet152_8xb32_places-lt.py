# Class-balanced weights plus meta-learned per-sample weights with the cross-
# entropy loss (Jamal et al., CVPR 2020, Algorithm 1): ResNet-152 fine-tuned
# from ImageNet-1k on Places-LT with 10 development images per class, 30 epochs
# (lr 0.01, x0.1 at epochs 10 and 20, the CE config's); meta stage from epoch
# 20. Jamal et al., Places-LT table: "Ours, CE". The meta stage is the last
# third of the run, after the last lr drop (the authors' CIFAR code: the last
# 40 of 200 epochs, after the drop); beta 0.9999 and w_y
# normalised to sum to C as in their code.
_base_ = [
    '../_base_/models/resnet152.py',
    '../_base_/datasets/places_lt_with_dev.py',
    '../_base_/schedules/places_lt_30e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the authors' step, 0.01 on the loss summed over the batch (their
    # CIFAR code), on the paper's batch mean: 0.01 x |B| = 0.01 x 256 (the
    # global batch, 8 GPUs; scale it with the number of GPUs). The mean form
    # keeps the look-ahead at the real step: summed, the look-ahead would move
    # eta |B| (lr 1e-4 from epoch 20, x 256), far beyond the authors' CIFAR
    # look-ahead (1e-3 x 100 = 0.1). Their code covers CIFAR only.
    meta_lr=2.56,
    lookahead_reduction='mean',
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
    # iteration (dev_dataloader of the dataset base), and logs the
    # statistics of eps every meta epoch.
    dict(type='MetaReweightHook'),
]
train_dataloader = dict(batch_size=32)
dev_dataloader = dict(batch_size=32)
