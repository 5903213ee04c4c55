# RIDE (Wang et al., ICLR 2021) on Fashion-MNIST-LT (IF 100), stage two:
# the expert-assignment router on the frozen experts of
# ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py. The authors' CIFAR
# router recipe (config_imbalance_cifar100_ride_ea.json: class-balanced
# batches of 512, SGD lr 0.01, momentum 0.9, weight decay 5e-4, Nesterov,
# cosine decay to 0, 16-unit feature branch, positive-class weight 100) for
# 2 epochs (the second-stage budget of the benchmark, instead of 5), reading
# the top 10 mean logits (all of Fashion-MNIST's classes; 30 of 100 on
# CIFAR-100). Pass the stage-one checkpoint with
# --cfg-options load_from=.../epoch_6.pth.
_base_ = './ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        router=dict(
            top_k=10, hidden_channels=16, pos_weight=100.0, threshold=0.5),
        train_router=True))

train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassAwareSampler'))

optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    dict(
        type='DecoupledStageHook',
        switch_epoch=0,
        freeze=['backbone', 'neck', 'head.classifiers']),
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
auto_scale_lr = dict(base_batch_size=512)
