# BSCE + GML ("No One Left Behind", CVPR 2023, Tab. 6) on CIFAR-100-LT
# (IF 100): the GML classifier stage of ce-gml_* on the balanced-softmax
# model. The model is the CE model's, so the config is ce-gml_*'s; only the
# stage-one checkpoint differs, e.g.
#   BS=work_dirs/balanced-softmax_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/gml/balanced-softmax-gml_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$BS/epoch_200.pth
# Stage one is configs/balanced-softmax/
# balanced-softmax_resnet32_1xb128_cifar100-lt-r100.py.
_base_ = './ce-gml_resnet32_1xb128_cifar100-lt-r100.py'
