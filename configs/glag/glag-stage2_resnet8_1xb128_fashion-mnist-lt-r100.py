# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator (AFG),
# on Fashion-MNIST-LT (IF 100). The GraLoss model of stage one
# (glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py) is loaded and its
# backbone frozen (DecoupledStageHook); its classifier is trained on for 2
# epochs on real batches mixed with generated features: tail classes (at
# most 1000 training images: 6 of 10) from a Gaussian calibrated around each
# of their training features (all are anchors) with the covariance of their
# k=2 nearest richer classes and confidence lambda (0.6, the paper's, at the
# start; adapted per class after every validation by AdaptiveConfidenceHook,
# whose reference is the stage-one model validated before the first epoch,
# so lambda moves after epoch 1 and after epoch 2), head classes from their
# own statistics; plus distillation from the stage-one classifier on head
# classes, its weight rising convexly from 0 to 1 (GradualScheduleHook).
# GLAG paper (Zhang & Xiang 2022): "GLAG (ours)" (Table 2's method) and
# Table 7's last row with GraLoss in stage one (GraLoss + AD + KD). Pass the
# stage-one checkpoint, e.g.
#   S1=work_dirs/glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/glag/glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_6.pth
# Ablations: glag-stage2-noad_* (fixed lambda), glag-stage2-nokd_* (no
# distillation), glag-stage2-noad-nokd_*. Controls (not in the paper):
# glag-stage2-lambda0_* (lambda = 0: tail features re-sampled, nothing
# transferred), glag-stage2-nogen_* (no generation, distillation kept),
# glag-stage2-nogen-nokd_* (plain fine-tuning of the classifier).
#
# Calibration form (the paper's equations are illegible in the copy we have;
# see mmlt/models/utils/feature_calibration.py): the generated features of a
# tail sample keep the sample as their mean and borrow lambda times the
# support classes' covariance (mean_transfer='covariance_only'), support
# weights n_i / d_i (support_weighting='count_distance'). Chosen on a
# development split of the training pool, never the test set: a
# frozen-feature replay of this stage two (features of the stage-one
# backbone, one augmented pass; 2 epochs of this head, optimiser, schedule
# and KD ramp, fixed lambda) for the GraLoss stage one of seeds 0 and 1,
# top-1 on 200 images per class of the training pool (LongTailDataset
# split='dev', dev_per_class=200, dev_seed=2; a head class's images there
# are mostly training images too; stage one there: 80.45 / 78.95). Mean over
# the 2 seeds, x 3 lambdas (0.2, 0.6, 1.0), x 5 weightings:
#   mean_transfer 'covariance_only' 81.62, 'average' (Yang et al.) 70.70,
#   'interpolate' (the paper's reading) 70.22;
# 'interpolate' with n_i / d_i: 81.50 / 74.03 / 56.95 at lambda 0.2 / 0.6 /
# 1.0: the mean moved towards distant clothing classes is read as those
# classes (the stage-one classifier assigns 62% / 20% / 7% of a tail class's
# generated features to it; 66% under 'covariance_only' at lambda 0.6,
# 73% for copies of the anchors). Under 'covariance_only' every weighting is
# within 0.07 (n_i / d_i 81.67, sqrt(n_i) / d_i 81.63, log(1 + n_i) / d_i
# 81.61, 1 / d_i 81.60, uniform 81.60) and lambda hardly matters (n_i / d_i:
# 81.67 / 81.72 / 81.60), so the paper's 0.6 is kept. The controls read:
# lambda = 0 (copies of the anchors) 81.73, no generation with distillation
# 76.10, neither 71.98: what generation adds here is re-balancing, not the
# transfer of head-class statistics. The paper's reading is
# mean_transfer='interpolate' (with support_weighting='count_distance').
#
# Validation (what the adaptive confidence reads) uses a balanced
# development split of the Fashion-MNIST *training* pool, 20 images per
# class (LongTailDataset split='dev', dev_seed=1), not the test set: adapting
# lambda on the test set would tune on it. The test set stays the test set
# (test_dataloader). The training set is stage one's long-tailed subset
# (seed=0, no development split taken out), drawn independently of the
# development split, so some development images are also training images.
# At IF 100 (exp profile) on the real data, per class 0..9 (training counts
# 6000 ... 60): 20, 13, 5, 5 | 2, 2, 0, 1, 0, 0 of the 20 (48 of 200). Class
# 0 keeps all its 6,000 images, so all its development images are training
# images; lambda is only adapted for the tail classes 4-9, whose validation
# images are 115 of 120 held out. dev_seed=0 would be worse: with the split's
# seed (0) and the nested draw of LongTailDataset, every development image
# would be a training image. Other --imbalance-factor / --profile values
# change the overlap. Validating 200 images after each epoch is cheap.
# (../_base_/datasets/fashion_mnist_lt_with_dev.py is not used: it takes its
# development images out of the training set, which would then no longer be
# stage one's, and loads them with the training augmentation.)
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        type='AdaptiveFeatureGeneratorHead',
        # Support set: the 2 nearest classes with more training images.
        k=2,
        # Tail classes: <= 1000 images (the metric's Medium and Few groups).
        tail_max_count=1000,
        # Initial confidence lambda in the head classes' covariance: the
        # paper's 0.6 (with the mean kept at the sample, lambda 0.2-1.0 are
        # within 0.12 on the development split; see the header).
        confidence=0.6,
        # The dev-split choice (header); the paper's reading is
        # mean_transfer='interpolate'.
        mean_transfer='covariance_only',
        support_weighting='count_distance',
        # No extra covariance dispersion.
        alpha=0.0,
        # Tukey's ladder of powers: square root.
        beta=0.5,
        # 64-d features, 10 classes: full covariances (164 KB).
        covariance_type='auto',
        # Every tail training feature is an anchor (1,842 at IF 100,
        # 0.5 MB), within the default memory_limit_gb.
        # Generated features fill every class up to the largest one: per
        # batch sum_c(n_max - n_c) / sum_c n_c generated per real feature, so
        # real plus generated classes are balanced in expectation (paper: the
        # gap to the head class size is filled).
        generated_ratio='balance',
        # Final distillation weight (scheduled below) and temperature.
        kd_weight=1.0,
        kd_temperature=2.0))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck (weights, BN statistics); keep the stage-one
    # classifier, which is trained on and copied as the teacher.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=False),
    # Class statistics of the frozen features, anchors and teacher, once
    # before training (LOW priority: after the freeze).
    dict(type='ClassFeatureStatsHook'),
    # lambda_c +/- 0.05 after each validation as tail accuracies move.
    dict(type='AdaptiveConfidenceHook', step=0.05),
    # The distillation weight rises as GraLoss's tau did (convex, power 2).
    dict(
        type='GradualScheduleHook',
        targets='AdaptiveFeatureGeneratorHead',
        attr='kd_weight',
        form='convex',
        power=2.0,
        by_epoch=True),
]

# A fresh cosine schedule for the classifier, no warm-up.
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=2,
        eta_min=0.0,
        convert_to_iter_based=True),
]
# Validation every epoch: the adaptive confidence needs it
# (AdaptiveConfidenceHook refuses a run without; train the -noad config
# with --no-validate instead).
train_cfg = dict(max_epochs=2, val_interval=1)

# The adaptive confidence validates on a balanced development split of the
# training pool (see the header), with the test pipeline; the test set stays
# test_dataloader's (the base's Fashion-MNIST test set). The val_evaluator's
# many_thr / few_thr refer to training counts, so they are kept.
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LongTailDataset',
        split='dev',
        dev_per_class=20,
        # Not the split's seed 0: see the header.
        dev_seed=1,
        dataset=dict(
            type=_base_.dataset_type,
            data_root=_base_.data_root,
            test_mode=False,
            download=False,
            pipeline=_base_.test_pipeline)))
