# BSCE + GML (Ensemble) on ImageNet-LT: trained as
# balanced-softmax-gml_resnet50_8xb64_imagenet-lt.py (load_from = the
# balanced-softmax checkpoint); the head keeps the balanced-softmax classifier
# (its raw logits, as that model predicts) and predicts with the ensemble of
# ce-gml-ensemble_resnet50_8xb64_imagenet-lt.py, temperatures 1 and 1 (see
# there for tuning them on the validation split).
# Stage one (load_from): configs/balanced-softmax/
# balanced-softmax_resnet50_8xb64_imagenet-lt.py.
_base_ = './ce-gml-ensemble_resnet50_8xb64_imagenet-lt.py'
