# Cross-entropy baseline: ResNet-152 on Places-LT, fine-tuned from mmpretrain's
# ImageNet-1k weights for 30 epochs (lr 0.01, x0.1 every 10 epochs).
_base_ = [
    '../_base_/models/resnet152.py',
    '../_base_/datasets/places_lt.py',
    '../_base_/schedules/places_lt_30e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(num_classes=365))
train_dataloader = dict(batch_size=32)
