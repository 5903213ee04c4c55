# Balanced softmax (BSCE) + GML (Ensemble) ("No One Left Behind", Du and Wu,
# CVPR 2023) on Fashion-MNIST-LT (IF 100): trained as
# balanced-softmax-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (same
# command, load_from = the balanced-softmax checkpoint); the head keeps the
# balanced-softmax classifier (old_fc, frozen; its raw logits, as that model
# predicts: the log-prior is added only in its training loss) and predicts
# with (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: t_new = t_old = 1, untuned, as ce-gml-ensemble_* (see there
# for tuning them on a development split of the training pool, never on the
# test set, which Fashion-MNIST-LT's val_dataloader is).
# Benchmark row BS-GML-ensemble.
_base_ = './ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py'
