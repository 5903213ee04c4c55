# MiSLAS + GML (Ensemble) on CIFAR-100-LT (IF 100): trained as
# mislas-gml_resnet32_1xb128_cifar100-lt-r100.py (load_from = the MiSLAS
# stage-two checkpoint); the head keeps MiSLAS's LWS classifier (scales
# folded into its weights and bias) and predicts with the ensemble of
# ce-gml-ensemble_*, temperatures 1 and 1 (see there for tuning them on a
# validation split).
_base_ = './mislas-gml_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
