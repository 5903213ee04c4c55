# tau-normalisation (Kang et al. ICLR 2020) of the CE model on
# Fashion-MNIST-LT (IF 100). No training: the CE checkpoint loads into
# TauNormHead, which predicts with the weights W_c / ||W_c||^tau (no bias).
# tau = 1 here, untuned. Pick tau on a development split of the training
# pool (Fashion-MNIST-LT's val_dataloader is its test set), with a CE model
# trained without it, then test the benchmark's CE model with it:
#   tools/benchmarks/tune_on_dev.py --epochs 48     # writes tuned.json
#   tools/benchmarks/accuracy_benchmark.py --epochs 48 --tuned tuned.json
# or by hand (DEV: a CE model trained with
# train_dataloader.dataset.dev_per_class=50):
#   CFG=configs/decoupling/tau-norm_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/analysis/tune_tau_norm.py $CFG $DEV/epoch_6.pth --dev-per-class 50
#   tools/test.py $CFG $CE/epoch_6.pth --cfg-options model.head.tau=TAU
# (Training with this config is training CE.)
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(type='TauNormHead', tau=1.0))
