# PaCo + GML ("No One Left Behind", Du and Wu, CVPR 2023) on Fashion-MNIST-LT
# (IF 100): the GML classifier stage of
# ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py on a PaCo (Cui et al., ICCV
# 2021) model. PaCo's backbone and pooled feature are the CE model's and its
# classifier (the class centres) is head.fc, so the stage is ce-gml_*'s:
# frozen backbone, re-initialised linear classifier trained with the
# re-weighted geometric mean loss. Only the stage-one checkpoint differs; its
# PaCo-only weights (projector, key encoder, queue) are not loaded (reported
# as unexpected keys). E.g.
#   PACO=work_dirs/paco_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/gml/paco-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$PACO/epoch_6.pth
# Stage one is configs/paco/paco_resnet8_1xb128_fashion-mnist-lt-r100.py.
_base_ = './ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'
