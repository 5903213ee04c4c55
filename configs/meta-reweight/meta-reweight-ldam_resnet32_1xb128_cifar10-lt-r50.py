# Meta-reweighted LDAM loss (Jamal et al., CVPR 2020): the meta-reweighted
# CE config at IF 50 with a cosine classifier and the LDAM loss (margins
# proportional to n_c^(-1/4), the largest 0.5, s = 30; no DRW) as L.
# Jamal et al., CIFAR-LT-10 table, IF 50: "Ours with LDAM loss".
_base_ = './meta-reweight-ce_resnet32_1xb128_cifar10-lt-r50.py'

model = dict(
    head=dict(
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=10,
        in_channels=64,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))
