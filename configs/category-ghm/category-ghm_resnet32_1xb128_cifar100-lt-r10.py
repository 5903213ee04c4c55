# Category-wise GHM (Zhang et al., ICASSP 2022) on CIFAR-100-LT at imbalance
# factor 10: Table 1 row "ours" (57.81%).
_base_ = './category-ghm_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
