# Class-balanced weights plus meta-learned per-sample weights with the
# cross-entropy loss, Jamal et al., "Rethinking Class-Balanced Methods for
# Long-Tailed Visual Recognition from a Domain Adaptation Perspective" (CVPR
# 2020), Algorithm 1: ResNet-32 on CIFAR100-LT (IF 100). Their "Ours with
# cross-entropy loss" row, CIFAR-LT-100 table.
#
# Where each hyper-parameter comes from:
# - the authors' released CIFAR code: batch 100, 200 epochs, SGD (nesterov,
#   momentum 0.9, weight decay 5e-4), lr 0.1 multiplied by 0.01 at epochs 160
#   and 180 (no warm-up); plain CE before epoch 160 (meta_start_epoch=160),
#   then every iteration eps = 0, a look-ahead SGD step at the current lr on
#   the loss summed over the batch, one step of eps of 0.01 against a
#   development batch (no clipping, no normalisation) and the update with
#   w_y + eps: lookahead_reduction='sum', meta_lr=0.01 are their values
#   exactly (on the paper's batch mean this is tau = 0.01 x 100 = 1.0, see
#   mmlt/models/classifiers/meta_reweight.py). The meta stage is their last
#   40 epochs (3,880 iterations at lr 1e-3, then 1e-5).
# - w_y: effective number, beta 0.9999, normalised to sum to C (their code).
# - the development set D: 10 images per class set aside from the full
#   training set before the long-tailed sub-sampling (their code and the
#   paper); development batches of 100, as the training batch.
# The file name keeps the family's "1xb128" although the batch is 100.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100_lt_with_dev.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='MetaReweightClassifier',
    meta_lr=0.01,
    lookahead_reduction='sum',
    meta_start_epoch=160,
    variant='class_balanced',
    beta=0.9999,
    head=dict(num_classes=100))

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='SGD',
        lr=0.1,
        momentum=0.9,
        nesterov=True,
        weight_decay=5e-4))
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[160, 180],
        gamma=0.01,
        begin=0,
        end=200),
]
auto_scale_lr = dict(base_batch_size=100)

train_dataloader = dict(batch_size=100)
dev_dataloader = dict(batch_size=100)

custom_hooks = _base_.custom_hooks + [
    # Hands the model the epoch, the lr and a development batch every
    # iteration, and logs the statistics of eps every meta epoch.
    dict(type='MetaReweightHook'),
]
