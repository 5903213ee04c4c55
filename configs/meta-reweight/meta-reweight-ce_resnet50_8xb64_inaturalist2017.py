# Class-balanced weights plus meta-learned per-sample weights with the cross-
# entropy loss (Jamal et al., CVPR 2020, Algorithm 1): ResNet-50 on iNaturalist
# 2017 with 5 development images per class, GLAG's 90-epoch cosine recipe (the
# CE config's); meta stage from epoch 72 (80% of the run, as 160/200 on CIFAR).
# Jamal et al., iNat 2017 table: "Ours, CE". The meta stage is the last 20% of
# the run, as the authors' 40 of 200 CIFAR epochs; beta 0.9999 and w_y
# normalised to sum to C as in their code.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/inaturalist2017_with_dev.py',
    '../_base_/schedules/inaturalist_90e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the authors' step, 0.01 on the loss summed over the batch (their
    # CIFAR code), on the paper's batch mean: 0.01 x |B| = 0.01 x 512 (the
    # global batch, 8 GPUs; scale it with the number of GPUs). The mean form
    # keeps the look-ahead at the real step: summed, the look-ahead would move
    # eta |B| (lr ~ 0.019 at epoch 72, x 512), far beyond the authors' CIFAR
    # look-ahead (1e-3 x 100 = 0.1). Their code covers CIFAR only.
    meta_lr=5.12,
    lookahead_reduction='mean',
    meta_start_epoch=72,
    variant='class_balanced',
    beta=0.9999,
    head=dict(num_classes=5089))

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base), and logs the
    # statistics of eps every meta epoch.
    dict(type='MetaReweightHook'),
]
