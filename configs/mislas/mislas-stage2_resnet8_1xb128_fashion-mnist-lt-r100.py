# MiSLAS (Zhong et al., CVPR 2021), stage two, on Fashion-MNIST-LT (IF 100):
# the stage-one model (mislas-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py)
# is loaded; its classifier is trained further, with a learnable scale per
# class (LWS), class-balanced sampling and the label-aware smoothing loss
# (smoothing 0.3 for the most frequent class down to 0.0 for the rarest,
# concave). The backbone is frozen, BN statistics included, as the reference
# does for CIFAR-10-LT (shift_bn off). GLAG (Zhang & Xiang 2022): "MiSLAS"
# (Tables 2 and 6), GML (Du & Wu 2023): "MiSLAS".
# Hyper-parameters: the smoothing and classifier learning-rate factor of the
# MiSLAS reference for CIFAR-10-LT at IF 100 (also 10 classes), 2 epochs like
# the cRT stage of configs/decoupling, the classifier at 0.5 x lr. Pass the
# stage-one checkpoint, e.g.
#   S1=work_dirs/mislas-stage1_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/mislas/mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_6.pth
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

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
            smooth_head=0.3,
            smooth_tail=0.0,
            shape='concave')))

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck (weights and BN statistics) before the first
    # epoch, after load_from is loaded; keep the loaded classifier.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=False),
]

# The reference's lr_factor for the classifier; the scales use the base
# learning rate.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head.fc': dict(lr_mult=0.5)}))

# A fresh cosine schedule, no warm-up.
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
