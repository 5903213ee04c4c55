# tau-normalisation (Kang et al. ICLR 2020) of the CE ResNet-32 on
# CIFAR-10-LT (IF 100). No training: the CE checkpoint loads into TauNormHead,
# which predicts with the weights W_c / ||W_c||^tau (no bias). Pick tau on
# the validation set, then test with it, e.g.
#   CE=work_dirs/ce_resnet32_1xb128_cifar10-lt-r100
#   CFG=configs/decoupling/tau-norm_resnet32_1xb128_cifar10-lt-r100.py
#   tools/analysis/tune_tau_norm.py $CFG $CE/epoch_200.pth
#   tools/test.py $CFG $CE/epoch_200.pth --cfg-options model.head.tau=TAU
# Stage one is configs/ce/ce_resnet32_1xb128_cifar10-lt-r100.py. (Training
# with this config is training CE.)
_base_ = '../ce/ce_resnet32_1xb128_cifar10-lt-r100.py'

model = dict(head=dict(type='TauNormHead', tau=1.0))
