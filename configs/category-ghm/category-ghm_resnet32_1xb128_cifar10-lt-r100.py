# Category-wise GHM (Zhang et al., ICASSP 2022; full method R+A+AU) on
# CIFAR-10-LT (IF 100): Table 1 row "ours" (75.39%), the CE config's LDAM-DRW
# recipe (200 epochs) with only the loss changed. CategoryGHMLoss: softmax
# cross-entropy with inter-category margins M[c1, c2] = gamma * log min(1, S_c2
# / S_c1) (gamma = 0.8) and intra-category GHM weights from per-category
# gradient-norm histograms (10 bins, momentum 0.9) on adaptive, equal-mass bins
# (AURA); the weights (inverse gradient density in the category's accumulated
# histogram, smoothed by a uniform prior of 8 times its mean density: at most 1
# + 1/8 = 1.125, averaging 1 per category; the smoothing was chosen on the
# Fashion-MNIST-LT development split, see
# category-ghm_resnet8_1xb128_fashion-mnist-lt-r100.py) do not depend on the
# batch's composition. The usual linear head predicts with the arg-max of its
# logits.
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

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
            momentum=0.9,
            smoothing=8.0,
            accumulate='category')))
