# cRT (Kang et al., ICLR 2020) on a GraLoss stage one, Fashion-MNIST-LT
# (IF 100): configs/decoupling/crt_* (frozen backbone, re-initialised
# classifier, 2 epochs of class-balanced sampling, CE) loading the model of
# glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py instead of the CE one.
# GLAG paper (Zhang & Xiang 2022): Table 6, "cRT" with "GraLoss" in stage one.
# Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/glag/gra-crt_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_6.pth
# (the checkpoint's head.loss_module.tau, GraLoss's last tau, has no place
# in this model and is skipped with a warning).
_base_ = '../decoupling/crt_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
