# The CIFAR-LT recipe of LDAM-DRW (Cao et al. 2019): 200 epochs, batch 128,
# SGD lr 0.1, momentum 0.9, weight decay 2e-4, 5 linear warm-up epochs, lr
# multiplied by 0.01 at epoch 160 and again at 180.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        by_epoch=True,
        milestones=[160, 180],
        gamma=0.01,
        begin=5,
        end=200),
]

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()

# The learning rate above is for a total batch of 1 GPU x 128.
auto_scale_lr = dict(base_batch_size=128)
