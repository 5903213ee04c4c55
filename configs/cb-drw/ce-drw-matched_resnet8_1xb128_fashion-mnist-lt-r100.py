# CE-DRW on Fashion-MNIST-LT (IF 100), matched to the meta-reweighted CE
# config (Jamal et al., CVPR 2020): the same training set (the 10-per-class
# development split set aside), recipe and seed, and the deferred
# re-weighting (Cao et al., NeurIPS 2019) from epoch 4 (0-based), where the
# meta stage starts, so epochs 0-3 (plain CE) end at the same weights as
# CB-Meta's and CB-DRW's. The weights are the same w_y (effective number,
# beta 0.9999, sum C), but ReweightedCrossEntropyLoss normalises as
# F.cross_entropy(weight=...) does, sum_i w_{y_i} L_i / sum_i w_{y_i}: a step
# |B| / sum_i w_{y_i} times CB-DRW's (about 5.8x on this data, where head
# samples dominate the batch and carry weights ~0.05). CB-DRW differs from
# this only in that normalisation.
_base_ = [
    '../_base_/models/resnet8_fashion_mnist.py',
    '../_base_/datasets/fashion_mnist_lt_with_dev.py',
    '../_base_/schedules/fashion_mnist_lt_short.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(loss=dict(_delete_=True, type='ReweightedCrossEntropyLoss')))

custom_hooks = _base_.custom_hooks + [
    # Uniform weights before drw_epoch, effective-number weights from it on.
    dict(type='DeferredReweightingHook', drw_epoch=4, beta=0.9999),
]
