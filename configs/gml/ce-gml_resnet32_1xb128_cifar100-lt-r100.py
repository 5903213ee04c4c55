# CE + GML ("No One Left Behind", Du and Wu, CVPR 2023) on CIFAR-100-LT
# (IF 100): the CE ResNet-32's backbone is frozen (weights and BN
# statistics), its linear classifier re-initialised and fine-tuned with the
# geometric mean loss, re-weighted by the training counts, on the usual
# instance-balanced batches (the re-weighting is GML's balancing; Tab. 8
# ablates it: ce-gml-noreweight_*, ce-gml-noreweight-resample_*). GML
# (Du & Wu 2023): "CE + GML" (Tab. 3, 6, 8, 9). Pass the stage-one (CE)
# checkpoint, e.g.
#   CE=work_dirs/ce_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/gml/ce-gml_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$CE/epoch_200.pth
# Stage one is configs/ce/ce_resnet32_1xb128_cifar100-lt-r100.py. Any other
# pre-trained model of the same architecture works the same way (see
# balanced-softmax-gml_*, ldam-drw-gml_*, mislas-gml_*).
# Schedule: the GML paper says "a few epochs" and gives no schedule; this is
# the cRT stage of configs/decoupling (10 epochs, cosine to 0, no warm-up) with
# the CIFAR recipe's SGD (lr 0.1 at batch 128, momentum 0.9, weight decay
# 2e-4).
_base_ = '../ce/ce_resnet32_1xb128_cifar100-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        loss=dict(_delete_=True, type='GeometricMeanLoss', reweight=True)))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck (weights and BN statistics) and re-initialise
    # the head before the first epoch, after load_from is loaded.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=True),
]

# A fresh cosine schedule for the classifier, no warm-up.
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=0,
        end=10,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10, val_interval=1)
