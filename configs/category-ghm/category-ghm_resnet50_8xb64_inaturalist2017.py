# Category-wise GHM (paper 000, full method R+A+AU) on iNaturalist 2017 (IF
# 435, 5,089 classes): Table 2 row "ours" (59.85%), ResNet-50 with the CE
# config's recipe and only the loss changed. No C x C tensor: the margins use
# the batch's rows only; the state is two (5089, 10/11) buffers.
# CategoryGHMLoss: softmax cross-entropy with inter-category margins
# M[c1, c2] = gamma * log min(1, S_c2 / S_c1) (gamma = 0.8) and intra-category
# GHM weights from per-category gradient-norm histograms (10 bins, momentum
# 0.9) on adaptive, equal-mass bins (AURA); the weights of a category sum to
# its batch count. The usual linear head predicts with the arg-max of its
# logits.
_base_ = '../ce/ce_resnet50_8xb64_inaturalist2017.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='CategoryGHMLoss',
            num_classes=5089,
            inter=True,
            gamma=0.8,
            intra=True,
            density='adaptive',
            bins=10,
            momentum=0.9)))
