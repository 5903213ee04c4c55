# CE-DRW on Fashion-MNIST-LT (IF 100): the CE config's short recipe (6 epochs)
# with only the loss and a hook changed. Cross-entropy with deferred
# re-weighting (Cao et al., NeurIPS 2019): ReweightedCrossEntropyLoss, whose
# class weights the hook sets; DRW re-weights the last of the 6 epochs
# (drw_epoch=5, 0-based), scaled from the CIFAR recipe's last 40 of 200 epochs
# to the short recipe, where the cosine learning rate is lowest.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='ReweightedCrossEntropyLoss')))

custom_hooks = _base_.custom_hooks + [
    # Uniform class weights before drw_epoch, effective-number weights
    # (beta 0.9999) from it on.
    dict(type='DeferredReweightingHook', drw_epoch=5, beta=0.9999),
]
