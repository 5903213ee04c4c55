# MiSLAS (Zhong et al., CVPR 2021), stage two, on Places-LT: the stage-one
# model (mislas-stage1_resnet152_8xb32_places-lt.py) is loaded; its
# classifier is trained further, with a learnable scale per class (LWS),
# class-balanced sampling and the label-aware smoothing loss. The backbone is
# frozen, but its BN layers re-estimate their running statistics on the
# class-balanced batches while their affine weights stay fixed ("shift
# learning on BN", which MiSLAS uses on Places-LT). GML (Du & Wu 2023):
# "MiSLAS" (Tab. 5).
# Hyper-parameters: the papers in this project (GML, Du and Wu 2023, included)
# give no MiSLAS stage-two values for Places-LT, so these are the CIFAR-100-LT
# ones of mislas-stage2_resnet32_1xb128_cifar100-lt-r100.py (smoothing 0.4 for
# the most frequent class down to 0.1 for the rarest, concave; 10 epochs,
# cosine, the classifier at 0.2 x lr), with the Places-LT recipe's SGD
# (lr 0.01 for a total batch of 256). Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/mislas-stage1_resnet152_8xb32_places-lt
#   CFG=configs/mislas/mislas-stage2_resnet152_8xb32_places-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$S1/epoch_30.pth
# Stage two is the stage one of
# configs/gml/mislas-gml*_resnet152_8xb32_places-lt.py.
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

# Required: the stage-one checkpoint (see above). Its head.fc loads into
# LWSHead; the scales start at 1.
load_from = None

model = dict(
    # The backbone comes from the stage-one checkpoint: no need to fetch the
    # ImageNet weights stage one started from.
    backbone=dict(init_cfg=None),
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
    # statistics on the class-balanced batches (MiSLAS's shift_bn); keep the
    # loaded classifier.
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
