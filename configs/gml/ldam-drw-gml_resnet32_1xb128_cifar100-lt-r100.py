# LDAM-DRW + GML on CIFAR-100-LT (IF 100): the GML classifier stage of
# ce-gml_resnet32_1xb128_cifar100-lt-r100.py on the LDAM-DRW model (the GML
# paper's "LDAM" row, Tab. 3, is LDAM-DRW's number; it reports no LDAM + GML
# row).
# The LDAM model's cosine classifier is replaced by a re-initialised linear
# one: GML, like CE, has no logit scale of its own (LDAM's s = 30 lives in
# its loss), and softmaxes of cosines alone are almost flat. Pass the
# LDAM-DRW checkpoint, e.g.
#   LDAM=work_dirs/ldam-drw_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/gml/ldam-drw-gml_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$LDAM/epoch_200.pth
# (its head.fc.weight loads and is re-initialised; the missing head.fc.bias
# is expected). Plain LDAM works the same way, from
# configs/ldam/ldam_resnet32_1xb128_cifar100-lt-r100.py.
_base_ = './ce-gml_resnet32_1xb128_cifar100-lt-r100.py'
