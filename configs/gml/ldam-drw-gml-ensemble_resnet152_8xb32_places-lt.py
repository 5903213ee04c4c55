# LDAM-DRW + GML (Ensemble) on Places-LT: trained as
# ldam-drw-gml_resnet152_8xb32_places-lt.py (load_from = the LDAM-DRW
# checkpoint); the head keeps LDAM's cosine classifier and predicts with the
# ensemble of ce-gml-ensemble_resnet152_8xb32_places-lt.py. Its old logits are
# cosines in [-1, 1]: t_old = 1/30 gives back the softmax LDAM trained with
# (s = 30); t_new = 1. See ce-gml-ensemble_* for tuning both on the validation
# split.
# Stage one (load_from):
# configs/ldam-drw/ldam-drw_resnet152_8xb32_places-lt.py.
_base_ = './ce-gml-ensemble_resnet152_8xb32_places-lt.py'

model = dict(head=dict(old_classifier='cosine', old_temperature=1 / 30))
