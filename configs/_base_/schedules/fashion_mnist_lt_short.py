# A short Fashion-MNIST-LT recipe for 2 CPU cores (about a minute and a half
# for ResNet-8): 6 epochs, batch 128, SGD lr 0.1 with one linear warm-up
# epoch and cosine decay. Every method of the benchmark uses this budget;
# two-stage methods split it between their stages.
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
        end=6,
        eta_min=0.0,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=6, val_interval=3)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128)
