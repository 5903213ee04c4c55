# GLAG stage one with a linear tau schedule, ResNet-32 on CIFAR-100-LT
# (IF 100): glag-stage1_* with tau = t / (T - 1). GLAG paper
# (Zhang & Xiang 2022): the tau-form table's "linear" row.
_base_ = './glag-stage1_resnet32_1xb128_cifar100-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(form='linear')
