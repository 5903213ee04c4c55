# CE + GML (Ensemble) ("No One Left Behind", CVPR 2023) on Fashion-MNIST-LT
# (IF 100): trained exactly as ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
# (same command, load_from = the CE checkpoint), but the head keeps the CE
# classifier of the loaded checkpoint (old_fc, frozen) and predicts with
# (softmax(o_new / t_new) + softmax(o_old / t_old)) / 2.
# Temperatures: t_new = t_old = 1 here, untuned. Fashion-MNIST-LT's
# val_dataloader is its test set, so tune them on a development split of
# the training pool instead, with a model trained without it:
#   tools/benchmarks/tune_on_dev.py --epochs 48     # writes tuned.json
#   tools/benchmarks/accuracy_benchmark.py --epochs 48 --tuned tuned.json
# or, by hand, train stage one and two with
# train_dataloader.dataset.dev_per_class=50, then
#   tools/analysis/tune_ensemble_temperature.py $CFG $STAGE2/epoch_2.pth \
#       --dev-per-class 50
#   tools/test.py $CFG $STAGE2/epoch_2.pth --cfg-options \
#       model.head.new_temperature=T_NEW model.head.old_temperature=T_OLD
_base_ = './ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(
    head=dict(
        type='EnsembleClsHead',
        new_temperature=1.0,
        old_temperature=1.0,
        old_classifier='linear'))
