# ImageNet-LT (Liu et al. 2019): the OLTR lists over ImageNet-2012, 115,846
# training images in 1,000 classes (1,280 ... 5 per class), validation 20 and
# test 50 images per class. Already long-tailed: LongTailDataset keeps every
# image (profile=None) and only takes out a development split when asked.
dataset_type = 'ImageNetLT'
# Holds ImageNet_LT_{train,val,test}.txt and ImageNet's train/ and val/
# folders (validation images sorted into class folders).
data_root = 'data/imagenet'

data_preprocessor = dict(
    num_classes=1000,
    # ImageNet's RGB mean and std in [0, 255].
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type='LongTailDataset',
        profile=None,
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Many > 100, Medium 20-100, Few < 20 training images (Liu et al.).
val_evaluator = dict(
    type='LongTailMetric', topk=(1, 5), many_thr=100, few_thr=20)

test_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator
