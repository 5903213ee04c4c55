# CE + GML (Ensemble) ("No One Left Behind", CVPR 2023) on Fashion-MNIST-LT
# (IF 100): trained exactly as ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
# (same command, load_from = the CE checkpoint), but the head keeps the CE
# classifier of the loaded checkpoint (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: t_new = t_old = 1. Fashion-MNIST-LT has no validation split
# of its own (val_dataloader is the test set), so tuning them with
# tools/analysis/tune_ensemble_temperature.py here would tune them on the
# test set. On a dataset with a real validation split:
#   tools/analysis/tune_ensemble_temperature.py $CFG $STAGE2/epoch_2.pth
#   tools/test.py $CFG $STAGE2/epoch_2.pth --cfg-options \
#       model.head.new_temperature=T_NEW model.head.old_temperature=T_OLD
_base_ = './ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
