# MiSLAS stage two on a GraLoss stage one, ResNet-32 on CIFAR-100-LT
# (IF 100): configs/mislas/mislas-stage2_* (LWS head, label-aware smoothing,
# class-balanced sampling, frozen backbone with shifted BN, 10 epochs)
# loading the model of gra-mislas-stage1_resnet32_1xb128_cifar100-lt-r100.py.
# GLAG paper (Zhang & Xiang 2022): Table 6, "MiSLAS" with "GraLoss" (IF 100
# column). Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/gra-mislas-stage1_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/glag/gra-mislas-stage2_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = '../mislas/mislas-stage2_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
