# MiSLAS (Zhong et al., CVPR 2021), stage one, on ImageNet-LT: the CE config
# (ce_resnet50_8xb64_imagenet-lt.py, 200 epochs, cosine decay), trained with
# mixup of whole batches and the soft-target cross-entropy. Stage two is
# mislas-stage2_resnet50_8xb64_imagenet-lt.py.
# Mixup alpha: the papers in this project (GML, Du and Wu 2023, included) give
# no MiSLAS hyper-parameters for ImageNet-LT, so this is the CIFAR-100-LT value
# of mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py (alpha 1.0), not a
# published ImageNet-LT one. The schedule is the CE recipe's.
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0, use_soft=True)),
    # mmpretrain's batch augments, applied by ClsDataPreprocessor in
    # training only.
    train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
