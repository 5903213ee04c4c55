# LWS (Kang et al., ICLR 2020) on a GraLoss stage one, Fashion-MNIST-LT
# (IF 100): configs/decoupling/lws_* (frozen backbone and classifier, one
# learned scale per class, 2 epochs of class-balanced sampling) loading the
# model of glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py instead of
# the CE one. GLAG paper (Zhang & Xiang 2022): Table 6, "LWS" with "GraLoss" in
# stage one. Pass the stage-one checkpoint, e.g.
#   S1=work_dirs/glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/glag/gra-lws_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_6.pth
_base_ = '../decoupling/lws_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
