# Softmax equalization loss on CIFAR-100-LT (IF 100): the CE config's LDAM-DRW
# recipe (200 epochs) with only the loss changed. Softmax equalization loss
# (Tan et al., CVPR 2020): for a sample of another class, the logit of a tail
# class (frequency f_c = n_c / N < lambda) leaves the softmax denominator with
# probability gamma = 0.9 (the paper's value), sparing rare classes the
# discouraging gradients of frequent ones. lambda = 0.00176: the 30 rarest
# classes (at most 19 of 10,847 images, f <= 0.00175), i.e. the Few group
# (< 20 images), are tail, the next one (20 images, f = 0.00184) is not; it is
# also the paper's value for ImageNet-LT. Category-wise GHM
# (Zhang et al. 2022): "Equalization".
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True, type='EqualizationLoss', lambda_=0.00176,
            gamma=0.9)))
