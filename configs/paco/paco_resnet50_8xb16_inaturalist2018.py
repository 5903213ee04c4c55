# PaCo (Cui et al., ICCV 2021): ResNet-50 on iNaturalist 2018 (8,142
# classes). As the ImageNet-LT config (views 'randcls_sim', queue 8192,
# momentum 0.999, embedding 128, 400 epochs, 10 warm-up epochs + cosine)
# with the authors' iNaturalist values (dvlab-research/
# Parametric-Contrastive-Learning, GPaCo/LT/sh/LT/Inat_train_R50.sh, the
# repository's iNaturalist 2018 script, with paco_lt.py's defaults and
# normalisation): alpha 0.05, temperature 0.2, SGD lr 0.04, weight decay
# 1e-4, a total batch of 128 (8 GPUs x 16), iNaturalist mean/std.
_base_ = './paco_resnet50_4xb32_imagenet-lt.py'

dataset_type = 'INaturalist'
data_root = 'data/inaturalist2018'

data_preprocessor = dict(
    num_classes=8142, mean=[118.83, 120.105, 96.9], std=[49.725, 49.47, 48.96])

train_dataloader = dict(
    batch_size=16,
    dataset=dict(
        dataset=dict(
            type=dataset_type, data_root=data_root, year=2018, split='train')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, year=2018, split='val'))
test_dataloader = val_dataloader

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.04, weight_decay=1e-4))
