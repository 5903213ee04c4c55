# PaCo (Parametric Contrastive Learning, Cui et al., ICCV 2021): ResNet-50 on
# ImageNet-LT. Hyper-parameters from the authors' script and defaults
# (dvlab-research/Parametric-Contrastive-Learning, PaCo/LT/sh/
# ImageNetLT_train_R50.sh and paco_lt.py):
# - PaCo loss: alpha 0.05, beta 1, gamma 1, temperature (moco-t) 0.2;
# - MoCo: queue (moco-k) 8192, momentum 0.999, embedding (moco-dim) 128 after
#   a 2048-2048-128 MLP projector (mlp=True);
# - SGD lr 0.02, momentum 0.9, weight decay 5e-4, a total batch of 128 (4
#   GPUs x 32), 400 epochs: 10 linear warm-up epochs, then cosine to 0;
# - views (aug 'randcls_sim'): query = RandomResizedCrop 224 scale 0.08-1,
#   flip, ColorJitter(0.4, 0.4, 0.4, 0), RandAugment n=2 m=10 std 0.5 (timm's
#   'rand-n2-m10-mstd0.5'; mmpretrain's timm_increasing policy); key =
#   RandomResizedCrop 224, ColorJitter(0.4, 0.4, 0.4, 0), grayscale p=0.2,
#   Gaussian blur sigma 0.1-2 p=0.5, flip.
# Prediction: the classifier's raw logits.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_lt.py',
    '../_base_/default_runtime.py',
]

color_jitter = dict(
    type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.)
query_view = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.08, 1.0),
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    color_jitter,
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
]
key_view = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    color_jitter,
    dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=(0.114, 0.587, 0.2989)),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
]
train_pipeline = [
    dict(
        type='MultiView', num_views=[1, 1], transforms=[query_view, key_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32, dataset=dict(dataset=dict(pipeline=train_pipeline)))

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

model = dict(
    type='PaCo',
    proj_channels=128,
    queue_size=8192,
    momentum=0.999,
    paco_loss=dict(
        type='PaCoLoss', alpha=0.05, beta=1.0, gamma=1.0, temperature=0.2),
    head=dict(num_classes=1000))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))
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
val_cfg = dict()
test_cfg = dict()
# The learning rate above is for a total batch of 4 GPUs x 32.
auto_scale_lr = dict(base_batch_size=128)
