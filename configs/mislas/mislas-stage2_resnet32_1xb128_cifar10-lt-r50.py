# MiSLAS (Zhong et al., CVPR 2021), stage two, on CIFAR-10-LT (IF 50): the
# IF-100 stage-two config with the reference's values for this imbalance
# factor: label-aware smoothing 0.2 for the most frequent class down to 0.0 for
# the rarest, the classifier at 0.2 x lr. Stage one:
# mislas-stage1_resnet32_1xb128_cifar10-lt-r50.py, passed as load_from.
_base_ = './mislas-stage2_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(head=dict(loss=dict(smooth_head=0.2, smooth_tail=0.0)))
train_dataloader = dict(dataset=dict(imbalance_factor=50))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head.fc': dict(lr_mult=0.2)}))
