# GHM-C loss on CIFAR-100-LT at imbalance factor 1.
_base_ = './ghm_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=1))
