# LDAM-DRW + GML (Ensemble) on CIFAR-100-LT (IF 100): trained as
# ldam-drw-gml_resnet32_1xb128_cifar100-lt-r100.py (load_from = the LDAM-DRW
# checkpoint); the head keeps LDAM's cosine classifier and predicts with the
# ensemble of ce-gml-ensemble_*. Its old logits are cosines in [-1, 1]:
# t_old = 1/30 gives back the softmax LDAM trained with (s = 30); t_new = 1.
# See ce-gml-ensemble_* for tuning both on a validation split.
_base_ = './ce-gml-ensemble_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(head=dict(old_classifier='cosine', old_temperature=1 / 30))
