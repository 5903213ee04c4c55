# LDAM without deferred re-weighting on CIFAR-100-LT (IF 200): the CE
# config's 200-epoch recipe with a cosine classifier and the LDAM loss
# (Cao et al., NeurIPS 2019; margins proportional to n_c^(-1/4), the largest
# 0.5, logits scaled by s = 30). The "LDAM" rows of the tables of GLAG
# (Zhang & Xiang 2022) and Jamal et al. 2020; configs/ldam-drw/ adds the
# re-weighting from epoch 160.
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r200.py'

model = dict(
    head=dict(
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=100,
        in_channels=64,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))
