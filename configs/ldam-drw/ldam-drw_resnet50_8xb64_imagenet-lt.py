# LDAM-DRW on ImageNet-LT: the CE config (ce_resnet50_8xb64_imagenet-lt.py,
# 200 epochs, cosine decay) with only the head, its loss and a hook changed.
# Label-distribution-aware margin loss with deferred re-weighting (Cao et al.,
# NeurIPS 2019): margins proportional to n_c^(-1/4), the largest 0.5, cosine
# logits scaled by s = 30. Stage one of
# configs/gml/ldam-drw-gml*_resnet50_8xb64_imagenet-lt.py.
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

model = dict(
    head=dict(
        # A cosine classifier, the NormedLinear of the LDAM reference (see
        # ldam-drw_resnet32_1xb128_cifar100-lt-r100.py); the head's own scale
        # stays 1, LDAM's s = 30 lives in its loss.
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=1000,
        in_channels=2048,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0),
        topk=(1, 5)))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on. DRW starts at epoch 160 (0-based) of 200:
    # the cosine schedule's lr is then 0.5 * (1 + cos(0.8 pi)) = 9.5% of the
    # base lr, i.e. it has mostly decayed, and the re-weighted phase is the
    # last 20% of training, as in the CIFAR LDAM-DRW reference (160 of 200).
    dict(type='DeferredReweightingHook', drw_epoch=160, beta=0.9999),
]
