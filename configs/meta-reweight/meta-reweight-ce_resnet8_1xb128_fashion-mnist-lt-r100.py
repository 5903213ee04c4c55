# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss on Fashion-MNIST-LT (IF 100), the CE config's short
# recipe (6 epochs). Jamal et al., "Rethinking Class-Balanced Methods for
# Long-Tailed Visual Recognition from a Domain Adaptation Perspective" (CVPR
# 2020), Algorithm 1: plain CE for epochs 0-4, then every iteration a
# look-ahead SGD step, a gradient step on the per-sample terms eps against a
# balanced development batch (10 images per class set aside from the training
# pool), and the update with weights w_y + eps (w_y: effective number, beta
# 0.9999, sum C). The meta stage starts at epoch 5: the CIFAR recipe's
# 160/200 mapped onto 6 epochs. Paper 002: "Ours with cross-entropy loss".
_base_ = [
    '../_base_/models/resnet8_fashion_mnist.py',
    '../_base_/datasets/fashion_mnist_lt_with_dev.py',
    '../_base_/schedules/fashion_mnist_lt_short.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the paper gives none; chosen so that tau * lr / batch is about
    # 0.08 at the start of the meta stage (lr ~ 0.0095 here), where the
    # eps steps measured on the CE model (|grad eps| ~ 1e-4) reach about
    # 0.1-1, the size of w_y.
    meta_lr=1000.0,
    meta_start_epoch=5,
    variant='class_balanced',
    beta=0.9999)

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base).
    dict(type='MetaReweightHook'),
]
