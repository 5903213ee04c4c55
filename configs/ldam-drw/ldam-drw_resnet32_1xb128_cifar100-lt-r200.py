# LDAM-DRW on CIFAR-100-LT at imbalance factor 200.
_base_ = './ldam-drw_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=200))
