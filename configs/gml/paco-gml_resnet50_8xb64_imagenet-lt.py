# PaCo + GML ("No One Left Behind", Du and Wu, CVPR 2023) on ImageNet-LT, Tab.
# 4 ("PaCo + GML": 55.57 top-1): the GML classifier stage of
# ce-gml_resnet50_8xb64_imagenet-lt.py on a PaCo (Cui et al., ICCV 2021)
# model. PaCo's backbone and pooled feature are the CE model's and its
# classifier (the class centres) is head.fc, so the stage is ce-gml_*'s:
# frozen backbone, re-initialised linear classifier trained with the
# re-weighted geometric mean loss. Only the stage-one checkpoint differs; its
# PaCo-only weights (projector, key encoder, queue) are not loaded (reported
# as unexpected keys). E.g.
#   PACO=work_dirs/paco_resnet50_4xb32_imagenet-lt
#   CFG=configs/gml/paco-gml_resnet50_8xb64_imagenet-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$PACO/epoch_400.pth
# Stage one is configs/paco/paco_resnet50_4xb32_imagenet-lt.py.
_base_ = './ce-gml_resnet50_8xb64_imagenet-lt.py'
