# LDAM-DRW on Fashion-MNIST-LT (IF 100): the CE config's short recipe (6
# epochs) with only the head, its loss and a hook changed.
# Label-distribution-aware margin loss with deferred re-weighting (Cao et al.,
# NeurIPS 2019): margins proportional to n_c^(-1/4), the largest 0.5, cosine
# logits scaled by s = 30; DRW re-weights the last of the 6 epochs
# (drw_epoch=5, 0-based), scaled from the CIFAR recipe's last 40 of 200 epochs
# to the short recipe, where the cosine learning rate is lowest. The tables of
# GLAG (Zhang & Xiang 2022) and Jamal et al. 2020: "LDAM-DRW".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        # A cosine classifier, the NormedLinear of the LDAM reference:
        # LDAM lowers the target logit by a margin and scales by s, meant for
        # logits in [-1, 1] (a linear head barely trains with s = 30); the
        # head's own scale stays 1.
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=10,
        in_channels=64,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on.
    dict(type='DeferredReweightingHook', drw_epoch=5, beta=0.9999),
]
