# The ImageNet-LT recipe of GLAG (stage one): 200 epochs, SGD momentum 0.9,
# weight decay 5e-4, cosine decay. The base lr of 0.2 for a total batch of 512
# is Kang et al.'s (ICLR 2020), which GLAG follows; the paper states none.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=5e-4))

param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, begin=0, end=200, eta_min=0.0)

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=512)
