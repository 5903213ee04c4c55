# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator with
# head-class distillation, ResNet-50 on iNaturalist 2018. Paper 001: "GLAG
# (ours)" on iNaturalist 2018 (Sec. 5.2.3). The GraLoss model of
# glag-stage1_resnet50_8xb64_inaturalist2018.py is loaded, its backbone
# frozen, and its classifier trained for the paper's 40 generation epochs
# (cosine) with generated features and head-class distillation. 8,142
# classes of 2048-d features: full covariances would take 137 GB, so rank-32
# factors plus variances (8142 x 2048 x 34 x 4 B = 2.3 GB; summed in float64
# during the statistics pass: 4.3 GB) and 8 anchors per tail class (0.5 GB).
# Pass the stage-one checkpoint:
#   S1=work_dirs/glag-stage1_resnet50_8xb64_inaturalist2018
#   CFG=configs/glag/glag-stage2_resnet50_8xb64_inaturalist2018.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$S1/epoch_90.pth
_base_ = '../ce/ce_resnet50_8xb64_inaturalist2018.py'

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
        covariance_type='lowrank',
        rank=32,
        max_anchors_per_class=8,
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
