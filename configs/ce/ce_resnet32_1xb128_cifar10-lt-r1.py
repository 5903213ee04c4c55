# Cross-entropy baseline: ResNet-32 on CIFAR10-LT at imbalance factor 1: the
# balanced training set (a reference row of the tables of category-wise GHM
# (Zhang et al. 2022) and Jamal et al. 2020).
_base_ = './ce_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=1))
