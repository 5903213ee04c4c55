# Class-balanced softmax CE on Fashion-MNIST-LT (IF 100): the CE config's
# short recipe (6 epochs) with only the loss changed. Class-balanced loss (Cui
# et al., CVPR 2019): softmax cross-entropy weighted by the inverse effective
# number of samples, (1 - beta) / (1 - beta^n_c) normalised to sum to C,
# beta = 0.9999. Category-wise GHM (Zhang et al. 2022) calls it "Effective
# Number", Jamal et al. 2020 "Class-balanced cross-entropy loss".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='ClassBalancedLoss',
            loss_type='softmax',
            weighting='effective_number',
            beta=0.9999)))
