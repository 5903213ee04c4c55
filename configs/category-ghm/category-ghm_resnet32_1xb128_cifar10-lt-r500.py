# Category-wise GHM (Zhang et al., ICASSP 2022) on CIFAR-10-LT at imbalance
# factor 500: Table 1 row "ours" (66.13%).
_base_ = './category-ghm_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=500))
