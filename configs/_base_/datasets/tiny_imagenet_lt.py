# Tiny-ImageNet-LT: Tiny ImageNet's training set (500 64x64 images per class,
# 200 classes) sub-sampled with the exponential profile, IF 100 (500 ... 5
# per class); the balanced validation set (50 per class) is the test set.
dataset_type = 'TinyImageNet'
data_root = 'data/tiny-imagenet-200'  # the folder of the official zip

data_preprocessor = dict(
    num_classes=200,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

# The images are 64 x 64: CIFAR-style augmentation at full size.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomCrop', crop_size=64, padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='LongTailDataset',
        profile='exp',
        imbalance_factor=100,
        max_count=500,
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Many > 100, Medium 20-100, Few < 20 training images: at IF 100 the classes
# keep 500 ... 5 images, so all three groups are populated.
val_evaluator = dict(type='LongTailMetric', many_thr=100, few_thr=20)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
