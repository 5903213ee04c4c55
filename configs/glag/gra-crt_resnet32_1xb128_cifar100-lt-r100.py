# cRT (Kang et al., ICLR 2020) on a GraLoss stage one, ResNet-32 on
# CIFAR-100-LT (IF 100): configs/decoupling/crt_* (frozen backbone,
# re-initialised classifier, 10 epochs of class-balanced sampling, CE)
# loading the model of gra-stage1_resnet32_1xb128_cifar100-lt-r100.py.
# GLAG paper (Zhang & Xiang 2022): Table 6, "cRT" with "GraLoss" (IF 100
# column). Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/gra-stage1_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/glag/gra-crt_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../decoupling/crt_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
