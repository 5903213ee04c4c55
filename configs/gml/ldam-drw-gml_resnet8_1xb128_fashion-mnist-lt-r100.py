# LDAM-DRW + GML ("No One Left Behind", Du and Wu, CVPR 2023) on
# Fashion-MNIST-LT (IF 100): the GML classifier stage of
# ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (2 epochs, backbone frozen
# with its BN statistics, count-re-weighted geometric mean loss,
# instance-balanced batches) on the LDAM-DRW model (Cao et al., NeurIPS
# 2019). The GML paper's "LDAM" row (Tab. 3) is LDAM-DRW's number; it
# reports no LDAM + GML row, so this row is mmlt's, as on CIFAR-100-LT.
# As ldam-drw-gml_resnet32_1xb128_cifar100-lt-r100.py does, LDAM's cosine
# classifier is replaced by a re-initialised linear one: GML, like CE, has
# no logit scale of its own (LDAM's s = 30 lives in its loss), and softmaxes
# of cosines alone are almost flat. Pass the LDAM-DRW checkpoint, e.g.
#   LDAM=work_dirs/ldam-drw_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/gml/ldam-drw-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$LDAM/epoch_6.pth
# (its head.fc.weight loads and is re-initialised; the missing head.fc.bias
# is expected). Stage one is configs/ldam-drw/
# ldam-drw_resnet8_1xb128_fashion-mnist-lt-r100.py (benchmark row LDAM-DRW);
# this config is the row LDAM-DRW-GML, with the ensemble
# ldam-drw-gml-ensemble_*.
_base_ = './ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'
