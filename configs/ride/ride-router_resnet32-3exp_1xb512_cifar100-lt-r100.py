# RIDE (Wang et al., ICLR 2021) on CIFAR-100-LT (IF 100), stage two: the
# expert-assignment router. The experts of stage one
# (ride_resnet32-3exp_1xb128_cifar100-lt-r100.py) are frozen (backbone
# weights and BN statistics, and the experts' classifiers); the router
# learns, per sample, whether the next expert helps (the mean of the
# experts so far is wrong and a longer prefix is right) by binary
# cross-entropy. At test time a sample consults expert i+1 only while the
# router's probability exceeds 0.5, and `ExpertUsageMetric` reports the
# average number of experts used. Hyper-parameters from the authors'
# config_imbalance_cifar100_ride_ea.json: 5 epochs, class-balanced batches
# of 512, SGD lr 0.01 (momentum 0.9, weight decay 5e-4, Nesterov) with
# cosine decay to 0, the 30 largest mean logits and a 16-unit feature branch
# as the router's input, positive-class weight 100. Pass the stage-one
# checkpoint, e.g.
#   S1=work_dirs/ride_resnet32-3exp_1xb128_cifar100-lt-r100
#   CFG=configs/ride/ride-router_resnet32-3exp_1xb512_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
# (the router's weights are missing from it, as expected). Test with all
# experts: --cfg-options model.head.use_router=False.
_base_ = './ride_resnet32-3exp_1xb128_cifar100-lt-r100.py'

# Required: the stage-one checkpoint (see above).
load_from = None

model = dict(
    head=dict(
        router=dict(
            top_k=30, hidden_channels=16, pos_weight=100.0, threshold=0.5),
        train_router=True))

train_dataloader = dict(
    batch_size=512, sampler=dict(_delete_=True, type='ClassAwareSampler'))

optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True))

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'DeferredReweightingHook'
] + [
    # Freeze the experts before the first epoch, after load_from is loaded;
    # only head.router trains.
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
        end=5,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=5, val_interval=1)
auto_scale_lr = dict(base_batch_size=512)
