# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss: ResNet-32 on CIFAR10-LT (IF 100), the CE config's
# 200-epoch recipe (batch 128; the paper's 100). Jamal et al. (CVPR 2020),
# Algorithm 1: plain CE until epoch 160, then every iteration a look-ahead SGD
# step, a gradient step on the per-sample terms eps against a batch of the
# balanced development set (10 images per class set aside from the training
# pool), and the update with weights w_y + eps (w_y: effective number, beta
# 0.9999, sum C). Paper 002, CIFAR-LT-10 table: "Ours with cross-entropy
# loss".
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar10_lt_with_dev.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    # tau: the paper gives none; tau * lr / batch = 1e4 * 1e-3 / 128 ~ 0.08
    # at epoch 160, as in the Fashion-MNIST config (eps of the size of w_y).
    meta_lr=10000.0,
    meta_start_epoch=160,
    variant='class_balanced',
    beta=0.9999,
    head=dict(num_classes=10))

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration (dev_dataloader of the dataset base).
    dict(type='MetaReweightHook'),
]
