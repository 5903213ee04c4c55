# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator with
# head-class distillation, ResNet-32 on CIFAR-100-LT (IF 100). GLAG paper
# (Zhang & Xiang 2022): "GLAG (ours)" in Table 2 (IF 100 column). The GraLoss
# model of glag-stage1_resnet32_1xb128_cifar100-lt-r100.py is loaded, its
# backbone frozen, and its classifier trained for the paper's 40 generation
# epochs (cosine, SGD momentum 0.9, weight decay 5e-4; the stage-two learning
# rate is not given in the paper: the recipe's 0.1 at batch 128) on real
# batches filled with generated features up to the largest class: tail classes
# (<= 100 training images, the paper's Medium and Few groups) from the
# calibrated Gaussian of each training feature and its k=2 nearest richer
# classes, confidence lambda from 0.6 (the paper's), adapted per class after
# every validation on a development split of the training pool (below); head
# classes from their own statistics; distillation from the stage-one classifier
# on head classes with the convex weight schedule of stage one. The calibration
# form is the head's default (mean_transfer='covariance_only', chosen on the
# Fashion-MNIST-LT development split; see that config): not measured on
# CIFAR-100-LT (no data here); the paper's reading is
# mean_transfer='interpolate', support_weighting='count_distance'. Every
# tail training image is an anchor. Pass the stage-one checkpoint:
#   S1=work_dirs/glag-stage1_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/glag/glag-stage2_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        type='AdaptiveFeatureGeneratorHead',
        k=2,
        tail_max_count=100,
        confidence=0.6,
        # The paper picks the dispersion from {0.0, 0.1}.
        alpha=0.0,
        beta=0.5,
        # 64-d features, 100 classes: full covariances (1.7 MB).
        covariance_type='auto',
        # Generated features fill every class up to the largest one: per
        # batch sum_c(n_max - n_c) / sum_c n_c generated per real feature, so
        # real plus generated classes are balanced in expectation (paper: the
        # gap to the head class size is filled).
        generated_ratio='balance',
        kd_weight=1.0,
        kd_temperature=2.0))

custom_hooks = _base_.custom_hooks + [
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=False),
    dict(type='ClassFeatureStatsHook'),
    dict(type='AdaptiveConfidenceHook', step=0.05),
    dict(
        type='GradualScheduleHook',
        targets='AdaptiveFeatureGeneratorHead',
        attr='kd_weight',
        form='convex',
        power=2.0,
        by_epoch=True),
]

optim_wrapper = dict(optimizer=dict(weight_decay=5e-4))
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=40,
        eta_min=0.0,
        convert_to_iter_based=True),
]
# Validation every epoch: the adaptive confidence needs it.
train_cfg = dict(max_epochs=40, val_interval=1)

# The adaptive confidence validates on a balanced development split of the
# CIFAR-100 *training* pool (20 of the 500 images per class, LongTailDataset
# split='dev', dev_seed=1, test pipeline), not on the test set: lambda is
# chosen from these accuracies, and CIFAR-100's validation set is its test
# set (test_dataloader keeps it). The long-tailed training set (seed 0) is
# drawn independently, so development images of a class are also training
# images with probability n_c / 500: about 20 of a head class's 20, 0.2 of
# the 20 of a 5-image tail class (IF 100). lambda is adapted for the tail
# classes only (<= 100 images), whose development images are mostly held
# out. dev_seed=0 would make every development image a training image (the
# nested draw of LongTailDataset).
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LongTailDataset',
        split='dev',
        dev_per_class=20,
        dev_seed=1,
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            split='train',
            download=False,
            pipeline=_base_.test_pipeline)))
