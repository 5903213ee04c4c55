# Class-balanced (effective number) softmax CE on CIFAR-100-LT at imbalance
# factor 500.
_base_ = './cb_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=500))
