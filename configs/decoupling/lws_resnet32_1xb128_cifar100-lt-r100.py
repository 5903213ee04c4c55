# Learnable weight scaling (LWS, Kang et al. ICLR 2020), stage two, on
# CIFAR-100-LT (IF 100): the CE ResNet-32 is loaded, its backbone frozen
# (weights and BN statistics) and its classifier kept; only one scale per
# class is learned, with class-balanced sampling. Pass the stage-one (CE)
# checkpoint, e.g.
#   CE=work_dirs/ce_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/decoupling/lws_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$CE/epoch_200.pth
# Stage one is configs/ce/ce_resnet32_1xb128_cifar100-lt-r100.py.
# Schedule: Kang et al.'s LWS stage (5 epochs, half the cRT stage, cosine to
# 0, no warm-up, class-aware sampling; they give it for ImageNet-LT etc., not
# CIFAR) with the CIFAR recipe's SGD (lr 0.1 at batch 128, momentum 0.9,
# weight decay 2e-4).
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the stage-one checkpoint (see above). Its head.fc loads into
# LWSHead; the scales start at 1.
load_from = None

# fc (W, b) frozen: only the scales train.
model = dict(head=dict(type='LWSHead', train_scales_only=True))

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck; keep the loaded classifier.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=False),
]

# A fresh cosine schedule for the scales, no warm-up.
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=5,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=5, val_interval=1)
