# Class-balanced weights plus meta-learned per-sample weights with the LDAM
# loss on Fashion-MNIST-LT (IF 100), the CE config's short recipe (6
# epochs). Jamal et al., "Rethinking Class-Balanced Methods for Long-Tailed
# Visual Recognition from a Domain Adaptation Perspective" (CVPR 2020),
# Algorithm 1 with L = the label-distribution-aware margin loss (Cao et al.,
# NeurIPS 2019): plain LDAM for epochs 0-3, then every iteration a
# look-ahead SGD step, a gradient step on the per-sample terms eps against a
# balanced development batch, and the update with weights w_y + eps.
# Jamal et al.: "Ours with LDAM loss"; benchmark row LDAM-Meta (its
# baseline: LDAM-DRW).
#
# Where each hyper-parameter comes from:
# - everything but the head: CB-Meta's config,
#   meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py, unchanged:
#   the same development split D (10 images per class set aside before
#   sub-sampling), the meta stage from epoch 4 of 6, the mean look-ahead
#   and tau = 1.28 (see there for the reasoning, and the dev-split choice
#   of tau for CE).
# - L: LDAM as in LDAM-DRW's config,
#   configs/ldam-drw/ldam-drw_resnet8_1xb128_fashion-mnist-lt-r100.py, and
#   meta-reweight-ldam_resnet32_* (Jamal et al.'s CIFAR rows): margins
#   proportional to n_c^(-1/4), the largest 0.5, s = 30, on a cosine
#   classifier (NormedLinear, as the LDAM reference), no DRW.
# - w_y: nothing replaces it. Jamal et al. write one w_y for every loss
#   L (effective number, beta 0.9999, normalised to sum to C), and their
#   LDAM rows keep it. With LDAM the meta stage is therefore LDAM-DRW's
#   deferred re-weighting (the same beta-0.9999 weights) plus eps, from
#   epoch 4 rather than LDAM-DRW's 5, and normalised over |B| (Algorithm 1)
#   rather than over sum w_y as the LDAM-DRW reference's weighted
#   cross-entropy (at these counts a step about 5.8x smaller; see
#   configs/cb-drw).
# - tau and s: eps_i's gradient is -eta/|B| <grad L_i(theta),
#   grad L_dev(theta~)>; LDAM's gradients carry its scale s through the
#   cosine logits (dL/dcos = s (p - y)), so at fixed cosines and softmax
#   residuals the product, and eps at a fixed tau, grows as s^2. CE's
#   linear head has no fixed scale (its logit scale is the learned norm of
#   weights and features), so s does not translate into a fixed factor
#   against CB-Meta's tau. Measured at tau 1.28 and lr 0.0345 (this
#   recipe's lr at epoch 4), one meta step on 8 training batches against a
#   batch of D, no update, each model after 1 epoch (seed 0): mean |eps| is
#   0.0049 with LDAM (range -0.020..+0.027) against 0.00092 with CE
#   (-0.014..+0.015), about 5x, not 900x; relative to w_y 3.8% against 0.8%,
#   no weight negative (CB-Meta's own epoch-4 model: 0.00027,
#   -0.0033..+0.0040). So s makes the meta step a few times stronger than
#   CB-Meta's at the same tau but still small against w_y; tau stays the
#   authors' step in mean units (their code uses one step, 0.01 summed, for
#   every L). Nothing here was tuned on accuracy.
_base_ = './meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        # LDAM lowers the target logit by a margin and scales by s, meant
        # for logits in [-1, 1]; the head's own scale stays 1.
        _delete_=True,
        type='NormedLinearClsHead',
        num_classes=10,
        in_channels=64,
        scale=1.0,
        loss=dict(type='LDAMLoss', max_m=0.5, s=30.0)))
