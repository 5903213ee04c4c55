# MiSLAS stage one with GraLoss, ResNet-32 on CIFAR-100-LT (IF 100):
# configs/mislas/mislas-stage1_* (200 epochs, mixup alpha 1.0, the MiSLAS
# step schedule) with its soft-target cross-entropy replaced by the Gradual
# Balanced Loss (on the mixed targets), tau rising convexly from 0 to 1.
# GLAG paper (Zhang & Xiang 2022): Table 6, "MiSLAS" with "GraLoss" (IF 100
# column). Stage two is gra-mislas-stage2_resnet32_1xb128_cifar100-lt-r100.py.
_base_ = '../mislas/mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py'

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
