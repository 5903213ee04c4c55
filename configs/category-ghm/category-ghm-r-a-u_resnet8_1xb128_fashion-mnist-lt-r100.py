# Category-wise GHM ablation "R+A+U" of the paper's Table 3 on Fashion-MNIST-LT
# (IF 100): margins and intra-category GHM weights on uniform bins (URA).
# Otherwise the full method's config (category-ghm_resnet8_1xb128_fashion-
# mnist-lt-r100.py).
_base_ = './category-ghm_resnet8_1xb128_fashion-mnist-lt-r100.py'
model = dict(head=dict(loss=dict(density='uniform')))
