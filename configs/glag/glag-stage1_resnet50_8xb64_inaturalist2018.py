# GLAG stage one (Zhang & Xiang, 2022): ResNet-50 on iNaturalist 2018 with
# the Gradual Balanced Loss, tau rising from 0 to 1 in the convex form
# tau = (t / (T - 1))^2 over the 90 epochs (GradualScheduleHook). The recipe
# is configs/ce/ce_resnet50_8xb64_inaturalist2018.py (90 epochs, cosine, SGD
# momentum 0.9, weight decay 5e-4), trained from scratch: the paper starts
# from a self-supervised (SSP) pre-trained model, which this project does not
# ship (pass one with load_from). GLAG paper (Zhang & Xiang 2022): the stage
# one of "GLAG (ours)" on iNaturalist 2018 (Sec. 5.2.3).
_base_ = '../ce/ce_resnet50_8xb64_inaturalist2018.py'

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
