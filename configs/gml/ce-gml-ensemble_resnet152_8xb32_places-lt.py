# CE + GML (Ensemble) ("No One Left Behind", CVPR 2023) on Places-LT: trained
# exactly as ce-gml_resnet152_8xb32_places-lt.py (same command, load_from =
# the CE checkpoint), but the head keeps the CE classifier of the loaded
# checkpoint (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Places-LT has a validation split of its own (20 images per class, the
# val_dataloader; the test_dataloader is the 100-per-class test set): pick
# the temperatures there and test with them, e.g.
#   tools/analysis/tune_ensemble_temperature.py $CFG $STAGE2/epoch_10.pth
#   tools/test.py $CFG $STAGE2/epoch_10.pth --cfg-options \
#       model.head.new_temperature=T_NEW model.head.old_temperature=T_OLD
# The values below (1, 1) are the untuned defaults.
_base_ = './ce-gml_resnet152_8xb32_places-lt.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
