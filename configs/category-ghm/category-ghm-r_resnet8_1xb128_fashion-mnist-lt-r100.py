# Category-wise GHM ablation "R" of the paper's Table 3 on Fashion-MNIST-LT (IF
# 100): inter-category margins only (gamma = 0.8), no intra-category weights:
# Seesaw's mitigation term in log form, with the training counts. Otherwise the
# full method's config (category-ghm_resnet8_1xb128_fashion-mnist-lt-r100.py).
_base_ = './category-ghm_resnet8_1xb128_fashion-mnist-lt-r100.py'
model = dict(head=dict(loss=dict(intra=False)))
