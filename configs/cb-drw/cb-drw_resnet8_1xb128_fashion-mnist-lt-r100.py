# CB-DRW on Fashion-MNIST-LT (IF 100): the matched baseline of the
# meta-reweighted CE config (Jamal et al., CVPR 2020), i.e. its meta step with
# eps = 0 (meta_lr=0): the paper's "Class-balanced fine-tuning" row. Same
# training set (the 10-per-class development split set aside), recipe, seed
# and stage boundary as meta-reweight-ce, so epochs 0-3 (plain CE) are the
# same computation and end at the same weights; in epochs 4-5 the loss is
# sum_i w_{y_i} L_i / |B| with the class-balanced weights w_y (effective
# number, beta 0.9999, normalised to sum to C; Cui et al., CVPR 2019), the
# normalisation of the meta stage's sum_i (w_{y_i} + eps_i) L_i / |B|
# (Algorithm 1, line 14). The difference to CB-Meta is eps alone.
_base_ = ('../meta-reweight/'
          'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py')

model = dict(meta_lr=0.0)
