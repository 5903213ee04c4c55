# Learnable weight scaling (LWS, Kang et al. ICLR 2020), stage two, on
# Fashion-MNIST-LT (IF 100): the CE model is loaded, its backbone frozen and
# its classifier kept; only one scale per class is learned, for 2 epochs
# with class-balanced sampling. Pass the stage-one (CE) checkpoint, e.g.
#   CE=work_dirs/ce_resnet8_1xb128_fashion-mnist-lt-r100
#   CFG=configs/decoupling/lws_resnet8_1xb128_fashion-mnist-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$CE/epoch_6.pth
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

# Required: the stage-one checkpoint (see above). Its head.fc loads into
# LWSHead; the scales start at 1.
load_from = None

# fc (W, b) frozen: only the scales train.
model = dict(head=dict(type='LWSHead', train_scales_only=True))

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))

custom_hooks = _base_.custom_hooks + [
    # Freeze backbone and neck; keep the loaded classifier.
    dict(type='DecoupledStageHook', switch_epoch=0, reinit_head=False),
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
