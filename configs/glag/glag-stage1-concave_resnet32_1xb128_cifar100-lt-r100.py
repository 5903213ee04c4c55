# GLAG stage one with a concave tau schedule, ResNet-32 on CIFAR-100-LT
# (IF 100): glag-stage1_* with tau = 1 - (1 - t / (T - 1))^2. GLAG paper
# (Zhang & Xiang 2022): the tau-form table's "concave" row.
_base_ = './glag-stage1_resnet32_1xb128_cifar100-lt-r100.py'

custom_hooks = _base_.custom_hooks
custom_hooks[-1].update(form='concave')
