# Category-wise GHM ablation "R" of the paper's Table 3 (38.02% in the paper)
# on ImageNet-LT (IF 100): inter-category margins only (gamma = 0.8), no intra-
# category weights: Seesaw's mitigation term in log form, with the training
# counts. Otherwise the full method's config (category-
# ghm_resnet50_8xb64_imagenet-lt.py).
_base_ = './category-ghm_resnet50_8xb64_imagenet-lt.py'
model = dict(head=dict(loss=dict(intra=False)))
