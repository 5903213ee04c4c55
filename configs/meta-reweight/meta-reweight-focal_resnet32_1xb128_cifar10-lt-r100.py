# Meta-reweighted focal loss (Jamal et al., CVPR 2020): the meta-reweighted CE
# config at IF 100 with the softmax focal loss (gamma 2.0) as L, in the
# look-ahead, on the development set and in the update. Jamal et al.,
# CIFAR-LT-10 table, IF 100: "Ours with focal loss".
_base_ = './meta-reweight-ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(loss=dict(_delete_=True, type='SoftmaxFocalLoss', gamma=2.0)))
