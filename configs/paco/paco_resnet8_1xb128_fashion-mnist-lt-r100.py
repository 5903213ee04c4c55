# PaCo (Parametric Contrastive Learning, Cui et al., ICCV 2021) on
# Fashion-MNIST-LT (IF 100), the benchmark's short CPU recipe: the CE config's
# ResNet-8, data, optimiser and 6-epoch schedule (SGD lr 0.1, batch 128, one
# warm-up epoch, cosine), so PaCo gets the same budget as every other method.
# PaCo's hyper-parameters are the authors' CIFAR-100-LT ones
# (dvlab-research/Parametric-Contrastive-Learning, PaCo/LT/sh/
# CIFAR100_train_imb0.01.sh: alpha 0.01, beta 1, gamma 1, moco-t 0.05,
# moco-k 1024, moco-dim 32 on a 64-d ResNet feature), except the key
# encoder's momentum: 0.999 averages over ~1000 steps, ~3% of the 34k steps
# of the authors' 400 CIFAR epochs but more than this whole 6-epoch run (~700
# steps); 0.95 keeps the same ~3% horizon (20 steps). Not tuned.
# Views (mmpretrain's MultiView): the query view is the authors' "strong" one
# (crop, flip, RandAugment n=2 m=10 std 0.5 as their randaugment) with the
# RandAugment operations that exist for 1-channel images (the colour ops and
# AutoContrast/Equalize need 3 channels); the key view their SimCLR-style one
# (random resized crop scale 0.2-1, flip, brightness jitter 0.4 with p=0.8
# in place of ColorJitter, Gaussian blur sigma 0.1-2 with p=0.5).
_base_ = '../ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'

# The RandAugment operations of mmpretrain's 'timm_increasing' policy that
# run on one channel.
GRAY_RANDAUG_POLICIES = [
    dict(type='Invert'),
    dict(type='Rotate', magnitude_range=(0, 30)),
    dict(type='Posterize', magnitude_range=(4, 0)),
    dict(type='Solarize', magnitude_range=(256, 0)),
    dict(type='SolarizeAdd', magnitude_range=(0, 110)),
    dict(type='Brightness', magnitude_range=(0, 0.9)),
    dict(type='Sharpness', magnitude_range=(0, 0.9)),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
]
query_view = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies=GRAY_RANDAUG_POLICIES,
        num_policies=2,
        total_level=10,
        magnitude_level=10,
        magnitude_std=0.5,
        hparams=dict(pad_val=0)),
]
key_view = [
    dict(type='RandomResizedCrop', scale=28, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='Brightness',
        magnitude_range=(0, 0.4),
        magnitude_std='inf',
        random_negative_prob=0.5,
        prob=0.8),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
train_pipeline = [
    dict(
        type='MultiView', num_views=[1, 1], transforms=[query_view, key_view]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))

data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

model = dict(
    type='PaCo',
    proj_channels=32,
    queue_size=1024,
    momentum=0.95,
    paco_loss=dict(
        type='PaCoLoss', alpha=0.01, beta=1.0, gamma=1.0, temperature=0.05))
