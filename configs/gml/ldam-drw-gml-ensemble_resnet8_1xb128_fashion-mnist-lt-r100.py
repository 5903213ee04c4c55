# LDAM-DRW + GML (Ensemble) ("No One Left Behind", Du and Wu, CVPR 2023) on
# Fashion-MNIST-LT (IF 100): trained as
# ldam-drw-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (same command,
# load_from = the LDAM-DRW checkpoint); the head keeps LDAM's cosine
# classifier (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: its old logits are cosines in [-1, 1], so t_old = 1/30 gives
# back the softmax LDAM trained with (s = 30 of
# configs/ldam-drw/ldam-drw_resnet8_1xb128_fashion-mnist-lt-r100.py); t_new
# = 1. Neither is tuned here (see ce-gml-ensemble_* for tuning them on a
# development split of the training pool, never on the test set).
# Benchmark row LDAM-DRW-GML-ensemble.
_base_ = './ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(old_classifier='cosine', old_temperature=1 / 30))
