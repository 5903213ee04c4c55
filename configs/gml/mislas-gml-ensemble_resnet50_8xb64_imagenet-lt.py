# MiSLAS + GML (Ensemble) on ImageNet-LT: trained as
# mislas-gml_resnet50_8xb64_imagenet-lt.py (load_from = the MiSLAS stage-two
# checkpoint); the head keeps MiSLAS's LWS classifier (scales folded into its
# weights and bias) and predicts with the ensemble of
# ce-gml-ensemble_resnet50_8xb64_imagenet-lt.py, temperatures 1 and 1 (see
# there for tuning them on the validation split).
# Stage one (load_from):
# configs/mislas/mislas-stage2_resnet50_8xb64_imagenet-lt.py.
_base_ = './mislas-gml_resnet50_8xb64_imagenet-lt.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
