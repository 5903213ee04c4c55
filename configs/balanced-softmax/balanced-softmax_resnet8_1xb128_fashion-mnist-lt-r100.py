# Balanced softmax CE on Fashion-MNIST-LT (IF 100): the CE config's short
# recipe (6 epochs) with only the loss changed. Balanced softmax (Ren et al.,
# NeurIPS 2020): the cross-entropy of z + log n_c, a softmax re-weighted by
# the class counts. GLAG (Zhang & Xiang 2022): "Balanced Softmax", GML
# (Du & Wu 2023): "BSCE".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
