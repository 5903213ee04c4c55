# GLAG stage one: ResNet-32 on CIFAR-100-LT at imbalance factor 10, the
# Gradual Balanced Loss recipe of
# glag-stage1_resnet32_1xb128_cifar100-lt-r100.py.
# GLAG paper (Zhang & Xiang 2022): the stage one of "GLAG (ours)" in Table 2
# (IF 10 column).
_base_ = './glag-stage1_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
