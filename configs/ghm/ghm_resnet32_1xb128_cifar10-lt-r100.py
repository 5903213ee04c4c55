# GHM-C loss on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe (200
# epochs) with only the loss changed. Gradient harmonizing classification loss
# (GHM-C, Li et al., AAAI 2019): the binary cross-entropy of every sigmoid
# logit, weighted by the inverse density of its gradient norm
# |sigmoid(z) - y|; 10 bins and no moving average, the GHM-C defaults. The
# usual linear head predicts with the arg-max of its logits. Category-wise GHM
# (Zhang et al. 2022): "GHM".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='GHMCLoss', bins=10, momentum=0.0)))
