# CE-DRW on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe (200 epochs)
# with only the loss and a hook changed. Cross-entropy with deferred
# re-weighting (Cao et al., NeurIPS 2019): ReweightedCrossEntropyLoss, whose
# class weights the hook sets; DRW re-weights from epoch 160 (0-based) on,
# when the learning rate drops, as in the LDAM-DRW reference.
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='ReweightedCrossEntropyLoss')))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on.
    dict(type='DeferredReweightingHook', drw_epoch=160, beta=0.9999),
]
