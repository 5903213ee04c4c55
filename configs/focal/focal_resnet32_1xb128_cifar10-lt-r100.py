# Softmax focal loss on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe
# (200 epochs) with only the loss changed. Focal loss (Lin et al., ICCV 2017)
# on the softmax, gamma = 2.0, the focal-loss paper's default. The tables of
# category-wise GHM (Zhang et al. 2022), GLAG (Zhang & Xiang 2022) and Jamal
# et al. 2020: "Focal".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
