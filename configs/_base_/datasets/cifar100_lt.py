# CIFAR-100-LT (Cao et al.): class i keeps floor(500 * IF^(-i/99)) training
# images, 10,847 at IF 100; the test set stays balanced.
dataset_type = 'CIFAR100'
# Holds cifar-100-python/ from the official cifar-100-python.tar.gz.
data_root = 'data/cifar100'

data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
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
        max_count=500,
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
# Many > 100, Medium 20-100, Few < 20 training images (all three groups are
# non-empty at IF 50 and above).
val_evaluator = dict(type='LongTailMetric', many_thr=100, few_thr=20)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
