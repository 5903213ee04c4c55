# GLAG stage one (Zhang & Xiang, 2022) on Fashion-MNIST-LT (IF 100): the CE
# config's short recipe (6 epochs) with the Gradual Balanced Loss (GraLoss),
# the cross-entropy of z + tau(t) * log(prior) whose tau rises from 0 to 1
# in the convex form tau = (t / (T - 1))^2 (GradualScheduleHook, per epoch:
# 0, 0.04, 0.16, 0.36, 0.64, 1). GLAG paper (Zhang & Xiang 2022): "GraLoss"
# (Table 6's stage one, the tau-form table's convex row). Evaluated as is, it
# is GraLoss trained end to end; it is also the stage one of GLAG's feature
# generator and of gra-crt_*, gra-lws_* (Table 6).
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='GradualBalancedLoss',
            # tau rises to 1: the balanced softmax at the end.
            tau_final=1.0)))

custom_hooks = _base_.custom_hooks + [
    # Sets the loss's tau before every epoch and logs it as train/tau.
    dict(
        type='GradualScheduleHook',
        targets='GradualBalancedLoss',
        attr='tau',
        form='convex',
        power=2.0,
        by_epoch=True),
]
