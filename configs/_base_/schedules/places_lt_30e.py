# Places-LT (Jamal et al. 2020, after Liu et al.): fine-tune an ImageNet
# ResNet-152 with lr 0.01, divided by 10 every 10 epochs, for 30 epochs; SGD
# momentum 0.9, weight decay 5e-4, total batch 256.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))

param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[10, 20], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=256)
