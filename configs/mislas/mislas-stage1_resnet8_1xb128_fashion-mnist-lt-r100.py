# MiSLAS (Zhong et al., CVPR 2021), stage one, on Fashion-MNIST-LT (IF 100):
# the CE config's short recipe (6 epochs), trained with mixup (alpha 1.0) of
# whole batches and the soft-target cross-entropy. Stage two is
# mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    # mmpretrain's batch augments, applied by ClsDataPreprocessor in
    # training only.
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
