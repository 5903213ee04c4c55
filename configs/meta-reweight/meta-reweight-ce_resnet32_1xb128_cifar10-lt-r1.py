# Meta-reweighted cross-entropy (Jamal et al., CVPR 2020): ResNet-32 on
# CIFAR10-LT at imbalance factor 1. Jamal et al., CIFAR-LT-10 table, IF 1:
# "Ours with cross-entropy loss".
_base_ = './meta-reweight-ce_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=1))
