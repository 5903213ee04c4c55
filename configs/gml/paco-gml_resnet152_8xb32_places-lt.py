# PaCo + GML ("No One Left Behind", Du and Wu, CVPR 2023) on Places-LT: the
# GML classifier stage of ce-gml_resnet152_8xb32_places-lt.py on a PaCo (Cui
# et al., ICCV 2021) model. PaCo's backbone and pooled feature are the CE
# model's and its classifier (the class centres) is head.fc, so the stage is
# ce-gml_*'s: frozen backbone, re-initialised linear classifier trained with
# the re-weighted geometric mean loss. Only the stage-one checkpoint differs;
# its PaCo-only weights (projector, key encoder, queue) are not loaded
# (reported as unexpected keys). E.g.
#   PACO=work_dirs/paco_resnet152_4xb32_places-lt
#   CFG=configs/gml/paco-gml_resnet152_8xb32_places-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$PACO/epoch_30.pth
# Stage one is configs/paco/paco_resnet152_4xb32_places-lt.py.
_base_ = './ce-gml_resnet152_8xb32_places-lt.py'
