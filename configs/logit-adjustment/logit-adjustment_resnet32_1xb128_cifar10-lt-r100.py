# Logit-adjusted CE on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW recipe
# (200 epochs) with only the loss changed. Logit-adjusted loss (Menon et al.,
# ICLR 2021): the cross-entropy of z + tau * log(prior), tau = 1.0; the model
# predicts with the raw logits. GLAG (Zhang & Xiang 2022): "Logit Adjust".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
