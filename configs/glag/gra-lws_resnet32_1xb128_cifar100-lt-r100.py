# LWS (Kang et al., ICLR 2020) on a GraLoss stage one, ResNet-32 on
# CIFAR-100-LT (IF 100): configs/decoupling/lws_* (frozen backbone and
# classifier, one learned scale per class, 5 epochs of class-balanced
# sampling) loading the model of
# gra-stage1_resnet32_1xb128_cifar100-lt-r100.py.
# GLAG paper (Zhang & Xiang 2022): Table 6, "LWS" with "GraLoss" (IF 100
# column). Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/gra-stage1_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/glag/gra-lws_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../decoupling/lws_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
