# BSCE + GML (Ensemble) on CIFAR-100-LT (IF 100): trained as
# balanced-softmax-gml_resnet32_1xb128_cifar100-lt-r100.py (load_from = the
# balanced-softmax checkpoint); the head keeps the balanced-softmax
# classifier (its raw logits, as that model predicts) and predicts with the
# ensemble of ce-gml-ensemble_*, temperatures 1 and 1 (see there for tuning
# them on a validation split).
_base_ = './ce-gml-ensemble_resnet32_1xb128_cifar100-lt-r100.py'
