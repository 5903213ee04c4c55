# GLAG stage one with a linear tau schedule on Fashion-MNIST-LT (IF 100):
# glag-stage1_* with tau = t / (T - 1) (0, 0.2, ..., 1 over the 6 epochs).
# GLAG paper (Zhang & Xiang 2022): the tau-form table's "linear" row.
_base_ = './glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(form='linear')
