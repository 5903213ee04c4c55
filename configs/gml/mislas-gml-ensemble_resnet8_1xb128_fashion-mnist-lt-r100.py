# MiSLAS + GML (Ensemble) ("No One Left Behind", Du and Wu, CVPR 2023, Tab.
# 5) on Fashion-MNIST-LT (IF 100): trained as
# mislas-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (same command,
# load_from = the MiSLAS stage-one checkpoint); the head keeps the stage-one
# (mixup) linear classifier (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: t_new = t_old = 1, untuned (see ce-gml-ensemble_* for tuning
# them on a development split of the training pool, never on the test
# set). Benchmark row MiSLAS-GML-ensemble.
_base_ = './mislas-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
