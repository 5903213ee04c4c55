# A short Fashion-MNIST-LT recipe for 2 CPU cores: 12 epochs, batch 128, SGD
# lr 0.1 with one linear warm-up epoch and cosine decay.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=12,
        eta_min=0.0,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=4)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128)
