# Fashion-MNIST-LT: the Fashion-MNIST training set (6,000 images per class)
# sub-sampled with the exponential profile; the test set stays balanced.
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'  # `make data` unpacks it here

data_preprocessor = dict(
    num_classes=10,
    # Fashion-MNIST training-set statistics in [0, 255].
    mean=[72.94],
    std=[90.02],
    to_rgb=False,
)

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# ToGrayscale leaves the dataset's (28, 28) arrays as they are; it converts an
# image file read as 3-channel BGR (mmpretrain's ImageClassificationInferencer
# on a path) to the one channel the model takes.
test_pipeline = [dict(type='ToGrayscale'), dict(type='PackInputs')]

# The images live in memory and the transforms are cheap: on a 2-core machine
# loader workers only take cores from the model (0 workers: 0.10 s/iter, 2
# workers: 0.17 s/iter). Raise num_workers on bigger machines.
train_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='LongTailDataset',
        profile='exp',
        imbalance_factor=100,
        seed=0,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            test_mode=False,
            download=False,
            pipeline=train_pipeline)),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        # mmpretrain's (Fashion)MNIST picks the test files by test_mode;
        # split='test' only silences its warning.
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# At IF 100 the classes keep 6000 ... 60 images, so the usual thresholds
# (Many > 100, Few < 20) leave Few empty. Here: Many > 1000 (4 classes),
# Medium 200-1000 (3 classes), Few < 200 (3 classes).
val_evaluator = dict(type='LongTailMetric', many_thr=1000, few_thr=200)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
