# Softmax focal loss on Fashion-MNIST-LT (IF 100): the CE config's short
# recipe (6 epochs) with only the loss changed. Focal loss (Lin et al., ICCV
# 2017) on the softmax, gamma = 2.0, the focal-loss paper's default. The
# "Focal" row of category-wise GHM (Zhang et al. 2022), GLAG (Zhang and Xiang
# 2022) and meta-reweighting (Jamal et al. 2020).
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
