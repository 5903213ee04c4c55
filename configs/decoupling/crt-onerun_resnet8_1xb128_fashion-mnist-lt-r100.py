# cRT (Kang et al. ICLR 2020) in one run on Fashion-MNIST-LT (IF 100), within
# the benchmark's 6-epoch budget: 4 epochs of CE with instance-balanced
# sampling, then DecoupledStageHook freezes backbone and neck, re-initialises
# the classifier and switches to class-balanced sampling for 2 epochs.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

custom_hooks = _base_.custom_hooks + [
    dict(
        type='DecoupledStageHook',
        switch_epoch=4,
        reinit_head=True,
        sampler=dict(type='ClassAwareSampler')),
]

# One warm-up epoch, then a cosine over each stage: the restart gives the
# new classifier the full learning rate again.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineRestartLR',
        periods=[3, 2],
        restart_weights=[1, 1],
        eta_min=0.0,
        by_epoch=True,
        begin=1,
        end=6,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=6, val_interval=1)
