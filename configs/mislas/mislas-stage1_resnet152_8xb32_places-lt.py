# MiSLAS (Zhong et al., CVPR 2021), stage one, on Places-LT: the CE config
# (ce_resnet152_8xb32_places-lt.py: ImageNet-1k ResNet-152 fine-tuned for 30
# epochs, lr x0.1 at epochs 10 and 20), trained with mixup of whole batches
# and the soft-target cross-entropy. Stage two is
# mislas-stage2_resnet152_8xb32_places-lt.py.
# Mixup alpha: the papers in this project (GML, Du and Wu 2023, included) give
# no MiSLAS hyper-parameters for Places-LT, so this is the CIFAR-100-LT value
# of mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py (alpha 1.0), not a
# published Places-LT one. The schedule is the CE recipe's.
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    # mmpretrain's batch augments, applied by ClsDataPreprocessor in
    # training only.
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
