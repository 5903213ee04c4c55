# MiSLAS stage two on a GraLoss stage one, Fashion-MNIST-LT (IF 100):
# configs/mislas/mislas-stage2_* (LWS head, label-aware smoothing,
# class-balanced sampling, frozen backbone, 2 epochs) loading the model of
# gra-mislas-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py. GLAG paper
# (Zhang & Xiang 2022): Table 6, "MiSLAS" with "GraLoss" in stage one. Pass the
# stage-one checkpoint, e.g.
#   S1=work_dirs/gra-mislas-stage1_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/glag/gra-mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_6.pth
_base_ = '../mislas/mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the GraLoss stage-one checkpoint (see above).
load_from = None
