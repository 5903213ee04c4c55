# GML trained from scratch ("No One Left Behind", CVPR 2023, Tab. 9) on
# CIFAR-100-LT (IF 100): the CE config's LDAM-DRW recipe (200 epochs) with
# only the loss changed to the geometric mean loss, re-weighted by the
# training counts. One run, no classifier stage.
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))
