# LDAM-DRW + GML on Places-LT: the GML classifier stage of
# ce-gml_resnet152_8xb32_places-lt.py on the LDAM-DRW model (the GML paper
# reports no LDAM + GML row). The LDAM model's cosine classifier is replaced by
# a re-initialised linear one (in_channels 2048, as ce-gml_*): GML, like CE,
# has no logit scale of its own (LDAM's s = 30 lives in its loss). Pass the
# LDAM-DRW checkpoint, e.g.
#   LDAM=work_dirs/ldam-drw_resnet152_8xb32_places-lt
#   CFG=configs/gml/ldam-drw-gml_resnet152_8xb32_places-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$LDAM/epoch_30.pth
# (its head.fc.weight loads and is re-initialised; the missing head.fc.bias is
# expected).
# Stage one (load_from):
# configs/ldam-drw/ldam-drw_resnet152_8xb32_places-lt.py.
_base_ = './ce-gml_resnet152_8xb32_places-lt.py'
