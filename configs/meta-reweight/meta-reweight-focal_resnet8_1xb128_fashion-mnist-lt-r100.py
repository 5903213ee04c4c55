# Class-balanced weights plus meta-learned per-sample weights with the
# softmax focal loss on Fashion-MNIST-LT (IF 100), the CE config's short
# recipe (6 epochs). Jamal et al., "Rethinking Class-Balanced Methods for
# Long-Tailed Visual Recognition from a Domain Adaptation Perspective" (CVPR
# 2020), Algorithm 1 with L = the focal loss (Lin et al., ICCV 2017): plain
# focal loss for epochs 0-3, then every iteration a look-ahead SGD step, a
# gradient step on the per-sample terms eps against a balanced development
# batch, and the update with weights w_y + eps. Jamal et al.: "Ours with
# focal loss", against "Class-balanced focal loss" (Cui et al., CVPR 2019;
# benchmark row CB-focal) and "Focal loss" (row Focal); benchmark row
# Focal-Meta, its eps = 0 control Focal-Meta-eps0.
#
# Where each hyper-parameter comes from:
# - everything but the loss: CB-Meta's config,
#   meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py, unchanged (the
#   development split D, the meta stage from epoch 4 of 6, the mean
#   look-ahead and tau = 1.28; see there for the reasoning).
# - L: the softmax focal loss with gamma = 2.0, the focal-loss paper's
#   default and the value of the Focal row
#   (configs/focal/focal_resnet8_1xb128_fashion-mnist-lt-r100.py) and of
#   Jamal et al.'s CIFAR rows (meta-reweight-focal_resnet32_*).
# - w_y: CB-Meta's (effective number, beta 0.9999): Jamal et al. write one
#   w_y for every loss L.
_base_ = './meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
