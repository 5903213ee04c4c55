# PaCo + GML (Ensemble) ("No One Left Behind", CVPR 2023) on Places-LT:
# trained as paco-gml_resnet152_8xb32_places-lt.py (load_from = the PaCo
# checkpoint of configs/paco/paco_resnet152_4xb32_places-lt.py); the head
# keeps PaCo's classifier (its raw logits, as PaCo predicts) as old_fc and
# predicts with the ensemble of ce-gml-ensemble_resnet152_8xb32_places-lt.py,
# temperatures 1 and 1 (see there for tuning them on a validation split, never
# the test set).
_base_ = './ce-gml-ensemble_resnet152_8xb32_places-lt.py'
