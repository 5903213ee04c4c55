# Balanced softmax CE on CIFAR-10-LT at imbalance factor 50.
_base_ = './balanced-softmax_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=50))
