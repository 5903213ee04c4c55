# GLAG stage one with a more bent convex tau schedule, ResNet-32 on
# CIFAR-100-LT (IF 100): glag-stage1_* with tau = (t / (T - 1))^3.
# GLAG paper (Zhang & Xiang 2022): one of the tau-form table's further "convex"
# rows (the power is this project's parameter of the curve, see
# mmlt/models/utils/gradual_schedule.py).
_base_ = './glag-stage1_resnet32_1xb128_cifar100-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(power=3.0)
