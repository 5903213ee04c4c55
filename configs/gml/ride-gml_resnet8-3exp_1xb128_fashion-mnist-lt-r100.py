# RIDE + GML on Fashion-MNIST-LT (IF 100): the GML classifier stage of
# ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py (2 epochs, cosine lr from
# 0.1, the geometric mean loss re-weighted by the training counts) on RIDE's
# experts (configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py);
# one re-initialised linear classifier per expert on its frozen pooled
# feature, the prediction the mean of the experts' logits (see
# ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100.py for the choice).
# Optimizer as the CE-based GML stage (no Nesterov), but lr 1.0 instead of
# 0.1: RIDE trains its features under cosine classifiers, which ignore their
# length, and they come out ~3x shorter than CE's (mean norm per class
# 0.99-2.44 against 5.0-9.0; largest eigenvalue of the features' second
# moment 2.3-2.5 per expert against 24.1). A linear classifier's weights then
# learn ~10x slower at the same lr while its biases do not, so at CE-GML's
# lr 0.1 the 2-epoch stage stops far from its own training optimum
# (training GML loss 0.507 after 2 epochs, 0.266 after 40) and the biases,
# which GML pushes towards the tail, decide the prediction: the head class
# T-shirt/top fell to 4.9% test recall. lr = 0.1 x 24.1 / 2.4 ~ 1.0 restores
# CE-GML's effective step and reaches training GML 0.256 in 2 epochs. The lr
# is set from the training features and the training loss only (a frozen-
# feature replay of this stage on the RIDE seed-0 stage one); no development
# or test accuracy chose it. Pass the RIDE stage-one checkpoint with
# --cfg-options load_from=.../epoch_6.pth.
_base_ = '../ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py'

# Required: the RIDE stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        classifier='linear',
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

# lr 1.0: see the header (RIDE's features are ~3x shorter than CE's).
optim_wrapper = dict(optimizer=dict(lr=1.0, nesterov=False))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=True),
]

param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=2,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=2, val_interval=1)
