# Category-wise GHM ablation "R+A+U" of the paper's Table 3 (38.42% in the
# paper) on ImageNet-LT (IF 100): margins and intra-category GHM weights on
# uniform bins (URA). Otherwise the full method's config (category-
# ghm_resnet50_8xb64_imagenet-lt.py).
_base_ = './category-ghm_resnet50_8xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(density='uniform')))
