# GLAG stage one (Zhang & Xiang, 2022): ResNet-50 on ImageNet-LT
# with the Gradual Balanced Loss, tau rising from 0 to 1 in the convex form
# tau = (t / (T - 1))^2 over the 200 epochs (GradualScheduleHook). The
# recipe is configs/ce/ce_resnet50_8xb64_imagenet-lt.py, GLAG's (200 epochs,
# cosine, SGD momentum 0.9, weight decay 5e-4). GLAG paper
# (Zhang & Xiang 2022): the stage one of "GLAG (ours)" with ResNet-50 on
# ImageNet-LT (its ImageNet-LT table, Sec. 5.2.2).
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

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
