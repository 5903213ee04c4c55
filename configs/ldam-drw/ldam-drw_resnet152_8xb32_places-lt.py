# LDAM-DRW on Places-LT: the CE config (ce_resnet152_8xb32_places-lt.py:
# ImageNet-1k ResNet-152 fine-tuned for 30 epochs, lr x0.1 at epochs 10 and
# 20) with only the head, its loss and a hook changed.
# Label-distribution-aware margin loss with deferred re-weighting (Cao et al.,
# NeurIPS 2019): margins proportional to n_c^(-1/4), the largest 0.5, cosine
# logits scaled by s = 30. Stage one of
# configs/gml/ldam-drw-gml*_resnet152_8xb32_places-lt.py.
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

model = dict(
    head=dict(
        # A cosine classifier, the NormedLinear of the LDAM reference (see
        # ldam-drw_resnet32_1xb128_cifar100-lt-r100.py); the head's own scale
        # stays 1, LDAM's s = 30 lives in its loss.
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=365,
        in_channels=2048,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0),
        topk=(1, 5)))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on. DRW starts at epoch 20 (0-based) of 30, the
    # schedule's last lr drop: the lr is then 1% of the base lr (mostly
    # decayed), and the re-weighted phase is the last third of training (the
    # CIFAR LDAM-DRW reference re-weights the last 20%, also from a drop).
    dict(type='DeferredReweightingHook', drw_epoch=20, beta=0.9999),
]
