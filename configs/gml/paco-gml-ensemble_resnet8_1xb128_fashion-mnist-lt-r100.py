# PaCo + GML (Ensemble) ("No One Left Behind", CVPR 2023) on Fashion-MNIST-LT
# (IF 100): trained as paco-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
# (load_from = the PaCo checkpoint of
# configs/paco/paco_resnet8_1xb128_fashion-mnist-lt-r100.py); the head keeps
# PaCo's classifier (its raw logits, as PaCo predicts) as old_fc and predicts
# with the ensemble of
# ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py, temperatures 1 and
# 1 (see there for tuning them on a validation split, never the test set).
_base_ = './ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py'
