# CIFAR-10-LT (Cao et al.): class i keeps floor(5000 * IF^(-i/9)) training
# images, 12,406 at IF 100; the test set stays balanced.
dataset_type = 'CIFAR10'
# Holds cifar-10-batches-py/ from the official cifar-10-python.tar.gz.
data_root = 'data/cifar10'

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.8575, 51.255],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    dataset=dict(
        type='LongTailDataset',
        profile='exp',
        imbalance_factor=100,
        max_count=5000,
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            download=False,
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
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Many > 100, Medium 20-100, Few < 20 training images. CIFAR-10-LT at IF 100
# has no class under 50 images, so Few is empty there (the metric omits it).
val_evaluator = dict(type='LongTailMetric', many_thr=100, few_thr=20)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
