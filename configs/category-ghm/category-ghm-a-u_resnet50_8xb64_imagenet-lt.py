# Category-wise GHM ablation "A+U" of the paper's Table 3 (37.07% in the paper)
# on ImageNet-LT (IF 100): intra-category GHM weights on uniform bins (URA), no
# margins. Otherwise the full method's config (category-
# ghm_resnet50_8xb64_imagenet-lt.py).
_base_ = './category-ghm_resnet50_8xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(inter=False, density='uniform')))
