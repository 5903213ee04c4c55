# Softmax equalization loss on CIFAR-10-LT (IF 100): the CE config's LDAM-DRW
# recipe (200 epochs) with only the loss changed. Softmax equalization loss
# (Tan et al., CVPR 2020): for a sample of another class, the logit of a tail
# class (frequency f_c = n_c / N < lambda) leaves the softmax denominator with
# probability gamma = 0.9 (the paper's value), sparing rare classes the
# discouraging gradients of frequent ones. lambda = 0.015: the 3 rarest
# classes (139, 83 and 50 of 12,406 images, f <= 0.0112) are tail, the next
# one (232 images, f = 0.0187) is not. Category-wise GHM (Zhang et al. 2022):
# "Equalization".
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True, type='EqualizationLoss', lambda_=0.015, gamma=0.9)))
