# Meta-reweighted cross-entropy (Jamal et al., CVPR 2020): ResNet-32 on
# CIFAR100-LT at imbalance factor 200. Jamal et al., CIFAR-LT-100 table, IF
# 200: "Ours with cross-entropy loss".
_base_ = './meta-reweight-ce_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=200))
