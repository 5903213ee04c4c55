# Seesaw loss on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe (200
# epochs) with only the loss changed. Seesaw loss (Wang et al., CVPR 2021):
# mmpretrain's SeesawLoss with its defaults p = 0.8 (mitigation) and q = 2.0
# (compensation); it accumulates the class counts of the batches it sees.
# category-wise GHM (Zhang et al. 2022): "Seesaw".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='SeesawLoss', num_classes=10)))
