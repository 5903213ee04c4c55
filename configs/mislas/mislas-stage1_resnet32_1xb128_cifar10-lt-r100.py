# MiSLAS (Zhong et al., CVPR 2021), stage one, on CIFAR-10-LT (IF 100): the CE
# config's LDAM-DRW recipe (200 epochs), trained with mixup (alpha 1.0) of
# whole batches and the soft-target cross-entropy. Stage two is
# mislas-stage2_resnet32_1xb128_cifar10-lt-r100.py.
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    # mmpretrain's batch augments, applied by ClsDataPreprocessor in
    # training only.
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))

# The MiSLAS stage-one schedule: the CE recipe's 5 warm-up epochs, then the
# learning rate x0.1 at epoch 160 and x0.01 at 180 (LDAM-DRW: x0.01, x1e-4).
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[160, 180],
        gamma=0.1,
        begin=5,
        end=200),
]
