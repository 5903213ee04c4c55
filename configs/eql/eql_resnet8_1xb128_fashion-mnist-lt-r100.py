# Softmax equalization loss on Fashion-MNIST-LT (IF 100): the CE config's
# short recipe (6 epochs) with only the loss changed. Softmax equalization
# loss (Tan et al., CVPR 2020): for a sample of another class, the logit of a
# tail class (frequency f_c = n_c / N < lambda) leaves the softmax denominator
# with probability gamma = 0.9 (the paper's value), sparing rare classes the
# discouraging gradients of frequent ones. lambda = 0.015: the 3 rarest
# classes (166, 100 and 60 of 14,886 images, f <= 0.0112) are tail, the next
# one (278 images, f = 0.0187) is not. Category-wise GHM (Zhang et al. 2022):
# "Equalization".
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True, type='EqualizationLoss', lambda_=0.015, gamma=0.9)))
