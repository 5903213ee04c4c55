# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator with
# head-class distillation, ResNet-50 on ImageNet-LT. GLAG paper
# (Zhang & Xiang 2022): "GLAG (ours)" with ResNet-50 in its ImageNet-LT table
# (Sec. 5.2.2). The GraLoss model of glag-stage1_resnet50_8xb64_imagenet-lt.py
# is loaded, its backbone frozen, and its classifier trained for the paper's 40
# generation epochs with a cosine schedule on real batches filled with
# generated features up to the largest class (tail classes: <= 100 training
# images; k=2 support classes; lambda from 0.6, adapted per class on the
# validation split after every epoch) and distillation on head classes with
# stage one's convex schedule. Pass the stage-one checkpoint:
#   S1=work_dirs/glag-stage1_resnet50_8xb64_imagenet-lt
#   CFG=configs/glag/glag-stage2_resnet50_8xb64_imagenet-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        type='AdaptiveFeatureGeneratorHead',
        k=2,
        tail_max_count=100,
        confidence=0.6,
        alpha=0.0,
        beta=0.5,
        # 2048-d features, 1000 classes: full covariances would take 16.8 GB;
        # rank-64 factors plus variances take 0.54 GB.
        covariance_type='lowrank',
        rank=64,
        # The statistics take 1.8 GB at their peak (0.55 GB kept; float64
        # sums and finalisation temporaries, stage_two_memory_bytes) and
        # 4.0 GB with ResNet-10's full 512-d covariances; the rest of 4 GiB
        # holds every tail training image as an anchor (8.2 KB each with
        # ResNet-50, 2 KB with ResNet-10; capped per class, and logged, if
        # they do not fit).
        memory_limit_gb=4.0,
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

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=40,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=40, val_interval=1)
