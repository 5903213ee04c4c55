# GLAG stage one with a more bent convex tau schedule on Fashion-MNIST-LT
# (IF 100): glag-stage1_* with tau = (t / (T - 1))^3 (0, 0.008, 0.064,
# 0.216, 0.512, 1 over the 6 epochs). GLAG paper (Zhang & Xiang 2022): one of
# the tau-form table's further "convex" rows (the power is this project's
# parameter of the curve, see mmlt/models/utils/gradual_schedule.py).
_base_ = './glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(power=3.0)
