# tau-normalisation of the CE ResNet-32 on CIFAR-100-LT at imbalance
# factor 50; the CE model is that of
#   configs/ce/ce_resnet32_1xb128_cifar100-lt-r50.py
_base_ = './tau-norm_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=50))
