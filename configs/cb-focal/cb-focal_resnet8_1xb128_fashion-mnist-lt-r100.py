# Class-balanced focal loss on Fashion-MNIST-LT (IF 100): the CE config's
# short recipe (6 epochs) with only the loss changed. Class-balanced focal
# loss (Cui et al., CVPR 2019): the sigmoid focal loss of every logit,
# weighted by the inverse effective number of the sample's class;
# beta = 0.9999 and gamma = 1.0 as in the LDAM-DRW reference code, whose
# CIFAR-LT recipe these configs follow (Cui et al. tuned beta and gamma per
# dataset and imbalance factor). Jamal et al. 2020: "Class-balanced focal
# Loss".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='ClassBalancedLoss',
            loss_type='focal',
            beta=0.9999,
            gamma=1.0)))
