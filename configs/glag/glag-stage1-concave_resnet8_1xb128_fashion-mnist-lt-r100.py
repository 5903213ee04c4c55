# GLAG stage one with a concave tau schedule on Fashion-MNIST-LT (IF 100):
# glag-stage1_* with tau = 1 - (1 - t / (T - 1))^2 (0, 0.36, 0.64, 0.84,
# 0.96, 1 over the 6 epochs): balanced early, the mirror of the convex form.
# GLAG paper (Zhang & Xiang 2022): the tau-form table's "concave" row.
_base_ = './glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(form='concave')
