# MiSLAS (Zhong et al., CVPR 2021), stage two, on CIFAR-100-LT (IF 100): the
# stage-one model (mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py) is
# loaded; its classifier is trained further, with a learnable scale per class
# (LWS), class-balanced sampling and the label-aware smoothing loss (smoothing
# 0.4 for the most frequent class down to 0.1 for the rarest, concave). The
# backbone's weights stay fixed while its BN layers keep training mode, so
# their running statistics adapt to the class-balanced batches ("shift
# learning on BN", as the reference does for CIFAR-100-LT). Paper 001:
# "MiSLAS" (Tables 2 and 6), paper 003: "MiSLAS".
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
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassAwareSampler'))

# No DecoupledStageHook: it freezes BN statistics too. Learning rate and
# weight decay 0 keep the backbone's weights and BN affine parameters fixed,
# while the loop's model.train() lets BN update its running statistics.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.0, decay_mult=0.0),
            # The reference's lr_factor for the classifier; the scales use
            # the base learning rate.
            'head.fc': dict(lr_mult=0.2),
        }))

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
