# LDAM-DRW on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe (200
# epochs) with only the head, its loss and a hook changed.
# Label-distribution-aware margin loss with deferred re-weighting (Cao et al.,
# NeurIPS 2019): margins proportional to n_c^(-1/4), the largest 0.5, cosine
# logits scaled by s = 30; DRW re-weights from epoch 160 (0-based) on, when
# the learning rate drops, as in the LDAM-DRW reference. The tables of GLAG
# (Zhang & Xiang 2022) and Jamal et al. 2020: "LDAM-DRW".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

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
    dict(type='DeferredReweightingHook', drw_epoch=160, beta=0.9999),
]
