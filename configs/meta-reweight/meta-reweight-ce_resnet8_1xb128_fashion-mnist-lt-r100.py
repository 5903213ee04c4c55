# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss on Fashion-MNIST-LT (IF 100), the CE config's short
# recipe (6 epochs). Jamal et al., "Rethinking Class-Balanced Methods for
# Long-Tailed Visual Recognition from a Domain Adaptation Perspective" (CVPR
# 2020), Algorithm 1: plain CE for epochs 0-3, then every iteration a
# look-ahead SGD step, a gradient step on the per-sample terms eps against a
# balanced development batch, and the update with weights w_y + eps.
# Jamal et al.: "Ours with cross-entropy loss".
#
# Where each hyper-parameter comes from:
# - w_y: effective number, beta 0.9999, normalised to sum to C (the authors'
#   CIFAR code); D: 10 images per class set aside from the training pool
#   before sub-sampling (their CIFAR D).
# - tau: the authors' step, 0.01 on the loss summed over the batch, is
#   tau = 0.01 x 128 = 1.28 on the paper's batch mean (first order in the
#   look-ahead; mmlt/models/classifiers/meta_reweight.py). The mean form
#   keeps the look-ahead at the real step; summed, at this recipe's lr
#   (0.034 at epoch 4) it would move eta x 128 = 4.4, 44x the authors' CIFAR
#   look-ahead (1e-3 x 100). At tau 1.28 eps spans about -0.003..+0.005
#   against w_y of 0.05..4: the meta stage is nearly class-balanced
#   fine-tuning (CB-DRW), as in the authors' code.
#   Chosen on top-1 (the paper's metric) on a held-out split of the
#   training pool (100 images per class outside the training set and D;
#   the head class, which keeps all its images, on training images), seed
#   0, both runs resumed from the same epoch-4 checkpoint; top-1 / Many /
#   H-mean and lowest recall of classes 1-9: tau 1.28: 81.2 / 89.5 / 55.3
#   / 14; tau 1000 (the earlier value; eps -4.6..+5.3, 12% of the weights
#   negative): 78.4 / 84.0 / 61.1 / 19. The large tau buys H-mean with
#   top-1, so it is not kept. CB-DRW (eps = 0) read 81.1 / 90.5 / 51.5 / 12.
# - meta stage: the last 2 of 6 epochs (meta_start_epoch=4). The authors'
#   meta stage is the last 40 of 200 CIFAR epochs, about 3,900 iterations
#   with a summed lr of about 1.9 (20 epochs of ~97 iterations at 1e-3, 20
#   at 1e-5). Here epochs 4-5 give 234 iterations with a summed lr of 2.8;
#   the last epoch alone gave 0.38, too little for eps to act. Cost: 4 plain
#   epochs and 2 meta epochs (~3.3x a plain one), about 1.8x CE.
_base_ = [
    '../_base_/models/resnet8_fashion_mnist.py',
    '../_base_/datasets/fashion_mnist_lt_with_dev.py',
    '../_base_/schedules/fashion_mnist_lt_short.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    meta_lr=1.28,
    lookahead_reduction='mean',
    meta_start_epoch=4,
    variant='class_balanced',
    beta=0.9999)

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base), and logs the
    # statistics of eps every meta epoch.
    dict(type='MetaReweightHook'),
]
