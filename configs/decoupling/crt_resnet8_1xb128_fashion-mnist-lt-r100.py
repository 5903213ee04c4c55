# Classifier re-training (cRT, Kang et al. ICLR 2020), stage two, on
# Fashion-MNIST-LT (IF 100): the CE model's backbone is frozen, its linear
# classifier re-initialised and trained for 2 epochs with class-balanced
# sampling. Pass the stage-one (CE) checkpoint, e.g.
#   CE=work_dirs/ce_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/decoupling/crt_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$CE/epoch_6.pth
# Stage one is configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py; for the
# two stages within the benchmark's 6-epoch budget, see crt-onerun_*.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck (weights and BN statistics) and re-initialise
    # the head before the first epoch, after load_from is loaded.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=True),
]

# A fresh cosine schedule for the classifier, no warm-up.
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=2,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=2, val_interval=1)
