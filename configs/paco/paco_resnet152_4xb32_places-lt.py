# PaCo (Cui et al., ICCV 2021): ResNet-152 on Places-LT, fine-tuned from
# ImageNet-1k weights (mmpretrain's, as configs/ce/ce_resnet152_8xb32_places-
# lt.py; the authors load torchvision's). Hyper-parameters from the authors'
# Places-LT code (dvlab-research/Parametric-Contrastive-Learning,
# PaCo/LT/paco_fp16_places.py and its script GPaCo/LT/sh/LT/
# PlacesLT_train_R152.sh):
# - PaCo loss: alpha 0.02, beta 1, gamma 1, temperature 0.2;
# - MoCo: queue 8192, momentum 0.999, embedding 128 (2048-2048-128 MLP);
# - SGD lr 0.02, momentum 0.9, weight decay 5e-4, a total batch of 128 (4
#   GPUs x 32), 30 epochs: 5 linear warm-up epochs, then cosine to 0, mixed
#   precision (--fp16; here: tools/train.py --amp);
# - only the last residual block (layer4.2) of the pre-trained backbone
#   trains its convolutions; every other convolution keeps the ImageNet
#   weights (lr and decay multiplier 0), BN and the new layers train;
# - views (aug 'sim_sim'): both RandomResizedCrop 224,
#   ColorJitter(0.4, 0.4, 0.4, 0), grayscale p=0.2, Gaussian blur sigma 0.1-2
#   p=0.5, flip.
_base_ = './paco_resnet50_4xb32_imagenet-lt.py'

dataset_type = 'PlacesLT'
data_root = 'data/places'
data_root = 'data/places365'

data_preprocessor = dict(num_classes=365)

sim_view = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(
        type='ColorJitter',
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.),
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
    dict(type='MultiView', num_views=[1, 1], transforms=[sim_view, sim_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    dataset=dict(
        dataset=dict(
            type=dataset_type, data_root=data_root, pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))

model = dict(
    backbone=dict(
        depth=152,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    paco_loss=dict(alpha=0.02),
    head=dict(num_classes=365))

# Convolutions frozen except in the last block (the longest matching key
# wins: 'backbone.layer4.2' before 'conv' / 'downsample.0').
optim_wrapper = dict(
    optimizer=dict(lr=0.02, weight_decay=5e-4),
    paramwise_cfg=dict(
        custom_keys={
            'backbone.layer4.2': dict(lr_mult=1.0, decay_mult=1.0),
            'backbone.conv1': dict(lr_mult=0.0, decay_mult=0.0),
            '.conv': dict(lr_mult=0.0, decay_mult=0.0),
            'downsample.0': dict(lr_mult=0.0, decay_mult=0.0),
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=5,
        end=30,
        eta_min=0.0,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
