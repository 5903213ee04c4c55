# GraLoss as the stage one of cRT and LWS, ResNet-32 on CIFAR-100-LT
# (IF 100): the CE stage one of configs/decoupling (the CE config's
# LDAM-DRW recipe, 200 epochs) with only its cross-entropy replaced by the
# Gradual Balanced Loss, tau rising convexly from 0 to 1 per epoch. Paper
# GLAG (Zhang and Xiang 2022): Table 6, "GraLoss" in stage one (the paper
# "simply replaces" CE). Stage two: gra-crt_* and gra-lws_*.
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='GradualBalancedLoss', tau_final=1.0)))

custom_hooks = _base_.custom_hooks + [
    dict(
        type='GradualScheduleHook',
        targets='GradualBalancedLoss',
        attr='tau',
        form='convex',
        power=2.0,
        by_epoch=True),
]
