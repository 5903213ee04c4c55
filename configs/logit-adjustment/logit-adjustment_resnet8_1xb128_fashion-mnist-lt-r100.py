# Logit-adjusted CE on Fashion-MNIST-LT (IF 100): the CE config's short recipe
# (6 epochs) with only the loss changed. Logit-adjusted loss (Menon et al.,
# ICLR 2021): the cross-entropy of z + tau * log(prior), tau = 1.0; the model
# predicts with the raw logits. GLAG (Zhang & Xiang 2022): "Logit Adjust".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0)))
