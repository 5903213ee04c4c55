# MiSLAS (Zhong et al., CVPR 2021), stage two, on CIFAR-100-LT (IF 100): the
# stage-one model (mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py) is
# loaded; its classifier is trained further, with a learnable scale per class
# (LWS), class-balanced sampling and the label-aware smoothing loss (smoothing
# 0.4 for the most frequent class down to 0.1 for the rarest, concave). The
# backbone is frozen, but its BN layers stay in train mode, so their running
# statistics adapt to the class-balanced batches while their affine weights
# stay fixed ("shift learning on BN", as the reference does for
# CIFAR-100-LT, shift_bn on). GLAG (Zhang & Xiang 2022):
# "MiSLAS" (Tables 2 and 6), GML (Du & Wu 2023): "MiSLAS".
# Hyper-parameters: those of the MiSLAS reference config for this dataset and
# imbalance factor (10 epochs, lr 0.1, cosine, the classifier at 0.2 x lr).
# Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/mislas-stage1_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/mislas/mislas-stage2_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the stage-one checkpoint (see above). Its head.fc loads into
# LWSHead; the scales start at 1.
load_from = None

model = dict(
    head=dict(
        type='LWSHead',
        # The classifier trains too, not only the scales.
        train_scales_only=False,
        loss=dict(
            _delete_=True,
            type='LabelAwareSmoothingLoss',
            smooth_head=0.4,
            smooth_tail=0.1,
            shape='concave')))

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck before the first epoch, after load_from is
    # loaded, but leave their BN layers to re-estimate the running
    # statistics on the class-balanced batches (the reference's shift_bn);
    # keep the loaded classifier.
    dict(
        type='DecoupledStageHook',
        switch_epoch=0,
        reinit_head=False,
        bn_statistics='update'),
]

# The reference's lr_factor for the classifier; the scales use the base
# learning rate.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head.fc': dict(lr_mult=0.2)}))

# A fresh cosine schedule, no warm-up.
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
