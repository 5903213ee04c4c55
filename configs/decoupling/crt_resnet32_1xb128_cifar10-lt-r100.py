# Classifier re-training (cRT, Kang et al. ICLR 2020), stage two, on
# CIFAR-10-LT (IF 100): the CE ResNet-32's backbone is frozen (weights and BN
# statistics), its linear classifier re-initialised and trained again with
# class-balanced sampling. Pass the stage-one (CE) checkpoint, e.g.
#   CE=work_dirs/ce_resnet32_1xb128_cifar10-lt-r100
#   CFG=configs/decoupling/crt_resnet32_1xb128_cifar10-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$CE/epoch_200.pth
# Stage one is configs/ce/ce_resnet32_1xb128_cifar10-lt-r100.py.
# Schedule: Kang et al.'s cRT stage (10 epochs, cosine to 0, no warm-up,
# class-aware sampling; they give it for ImageNet-LT etc., not CIFAR) with
# the CIFAR recipe's SGD (lr 0.1 at batch 128, momentum 0.9, weight decay
# 2e-4), the usual CIFAR-LT second stage (as in MiSLAS's).
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

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
        end=10,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10, val_interval=1)
