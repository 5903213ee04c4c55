# Control for GLAG stage two (Zhang & Xiang, 2022): the Adaptive Feature
# Generator with lambda = 0 and no adaptive confidence, on Fashion-MNIST-LT
# (IF 100). With mean_transfer='interpolate' and no dispersion (alpha = 0), a
# tail class's generated features are copies of its training features (mean
# at the anchor, zero borrowed covariance): no knowledge of the head classes
# is transferred, and stage two only re-balances the classes (tail features
# re-sampled, head classes drawn from their own Gaussians) with
# distillation. Not in the paper; set next to GLAG to show what the
# transfer adds. Otherwise glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py
# (its distillation schedule, 2 epochs); its validation only logs, so
# --no-validate is fine. Pass the GraLoss stage-one checkpoint with
# --cfg-options load_from=PATH.
_base_ = './glag-stage2-noad_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(confidence=0.0, mean_transfer='interpolate'))
