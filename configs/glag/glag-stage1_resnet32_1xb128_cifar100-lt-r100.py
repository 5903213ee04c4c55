# GLAG stage one (Zhang & Xiang, 2022): ResNet-32 on CIFAR-100-LT (IF 100)
# with the Gradual Balanced Loss (GraLoss), the cross-entropy of
# z + tau(t) * log(prior) with tau rising from 0 to 1 in the convex form
# tau = (t / (T - 1))^2, t the epoch (GradualScheduleHook). GLAG paper
# (Zhang & Xiang 2022): the stage one of "GLAG (ours)" in Table 2 (IF 100
# column), the convex row of the tau-form table and Table 7's GraLoss-only row.
# Recipe: the paper's SGD (momentum 0.9, weight decay 5e-4) with a cosine
# schedule; epochs, lr and warm-up (200, 0.1 at batch 128, 5 epochs) are the CE
# config's, which the paper does not state.
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='GradualBalancedLoss', tau_final=1.0)))

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

optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))

# 5 linear warm-up epochs, then cosine decay to 0.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=5,
        end=200,
        eta_min=0.0,
        convert_to_iter_based=True),
]
