# PaCo (Parametric Contrastive Learning, Cui et al., ICCV 2021): ResNet-32 on
# CIFAR-100-LT (IF 100). Hyper-parameters from the paper's CIFAR setting and
# the authors' script (dvlab-research/Parametric-Contrastive-Learning,
# PaCo/LT/sh/CIFAR100_train_imb0.01.sh and paco_cifar.py's defaults):
# - PaCo loss: alpha 0.01, beta 1, gamma 1, temperature (moco-t) 0.05;
# - MoCo: queue (moco-k) 1024, momentum 0.999, embedding (moco-dim) 32 after
#   a 64-64-32 MLP projector (mlp=True) on the 64-d pooled feature;
# - SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 128 on one GPU,
#   400 epochs: 10 linear warm-up epochs then cosine decay to 0;
# - views (aug 'cifar100' at IF != 1): query = RandomCrop 32 pad 4, flip,
#   AutoAugment, Cutout 16; key = RandomResizedCrop 32 scale 0.2-1, flip,
#   ColorJitter(0.4, 0.4, 0.4, 0.1) p=0.8, grayscale p=0.2, Gaussian blur
#   sigma 0.1-2 p=0.2. Deviations: mmpretrain has no CIFAR-10 AutoAugment
#   policy (the authors' CIFAR10Policy), its ImageNet policy stands in for
#   it; the hue jitter (0.1) is left out, as mmcv's adjust_hue raises an
#   OverflowError for negative hue factors under NumPy 2; the authors cut
#   out after normalisation (zeros, i.e. the mean), here before it, filled
#   with the CIFAR-100 mean.
# Prediction: the classifier's raw logits (the centre branch trains them
# logit-adjusted).
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]

query_view = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='AutoAugment', policies='imagenet'),
    dict(type='Cutout', shape=16, pad_val=(129, 124, 112), prob=1.0),
]
key_view = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.)
        ],
        prob=0.8),
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.2),
]
train_pipeline = [
    dict(
        type='MultiView', num_views=[1, 1], transforms=[query_view, key_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=128, dataset=dict(dataset=dict(pipeline=train_pipeline)))

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

model = dict(
    type='PaCo',
    proj_channels=32,
    queue_size=1024,
    momentum=0.999,
    paco_loss=dict(
        type='PaCoLoss', alpha=0.01, beta=1.0, gamma=1.0, temperature=0.05),
    head=dict(num_classes=100))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=10,
        end=400,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
auto_scale_lr = dict(base_batch_size=128)
