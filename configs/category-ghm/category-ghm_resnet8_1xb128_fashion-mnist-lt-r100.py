# Category-wise GHM, full method R+A+AU (paper 000, Zhang et al., "Solving the
# Long-Tailed Problem via Intra- and Inter-Category Balance"; Table 3 row
# "R+A+AU") on Fashion-MNIST-LT (IF 100): the CE config's short recipe (6
# epochs) with only the loss changed.
# CategoryGHMLoss: softmax cross-entropy with inter-category margins
# M[c1, c2] = gamma * log min(1, S_c2 / S_c1) (gamma = 0.8) and intra-category
# GHM weights from per-category gradient-norm histograms (10 bins, momentum
# 0.9) on adaptive, equal-mass bins (AURA); the weights of a category sum to
# its batch count. The usual linear head predicts with the arg-max of its
# logits.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='CategoryGHMLoss',
            num_classes=10,
            inter=True,
            gamma=0.8,
            intra=True,
            density='adaptive',
            bins=10,
            momentum=0.9)))
