# Cross-entropy baseline: ResNet-32 on CIFAR100-LT at imbalance factor 20.
_base_ = './ce_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=20))
