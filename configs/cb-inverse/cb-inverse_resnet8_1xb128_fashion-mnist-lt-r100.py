# Inverse-frequency weighted softmax CE on Fashion-MNIST-LT (IF 100): the CE
# config's short recipe (6 epochs) with only the loss changed. Softmax
# cross-entropy weighted by 1 / n_c, normalised to sum to C (ClassBalancedLoss
# with weighting='inverse'): the category-wise GHM (Zhang et al. 2022) table's
# "Class Balanced" row.
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='ClassBalancedLoss',
            loss_type='softmax',
            weighting='inverse')))
