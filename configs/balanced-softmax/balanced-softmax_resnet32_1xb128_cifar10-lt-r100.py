# Balanced softmax CE on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe
# (200 epochs) with only the loss changed. Balanced softmax (Ren et al.,
# NeurIPS 2020): the cross-entropy of z + log n_c, a softmax re-weighted by
# the class counts. GLAG (Zhang & Xiang 2022): "Balanced Softmax", GML
# (Du & Wu 2023): "BSCE".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
