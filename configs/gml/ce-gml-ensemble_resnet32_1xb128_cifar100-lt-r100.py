# CE + GML (Ensemble) ("No One Left Behind", CVPR 2023) on CIFAR-100-LT
# (IF 100): trained exactly as ce-gml_resnet32_1xb128_cifar100-lt-r100.py
# (same command, load_from = the CE checkpoint), but the head keeps the CE
# classifier of the loaded checkpoint (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: 1, 1 here. mmlt's CIFAR-100-LT configs validate on the test
# set, so pick them with
#   tools/analysis/tune_ensemble_temperature.py $CFG $STAGE2/epoch_10.pth
# only after pointing val_dataloader at a held-out split, then
#   tools/test.py $CFG $STAGE2/epoch_10.pth --cfg-options \
#       model.head.new_temperature=T_NEW model.head.old_temperature=T_OLD
_base_ = './ce-gml_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
