# BSCE + GML ("No One Left Behind", CVPR 2023) on Places-LT: the GML classifier
# stage of ce-gml_resnet152_8xb32_places-lt.py on the balanced-softmax model.
# The model is the CE model's, so the config is ce-gml_*'s; only the stage-one
# checkpoint differs, e.g.
#   BS=work_dirs/balanced-softmax_resnet152_8xb32_places-lt
#   CFG=configs/gml/balanced-softmax-gml_resnet152_8xb32_places-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$BS/epoch_30.pth
# Stage one (load_from): configs/balanced-softmax/
# balanced-softmax_resnet152_8xb32_places-lt.py.
_base_ = './ce-gml_resnet152_8xb32_places-lt.py'
