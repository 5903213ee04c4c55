# ResNet-50 (He et al. 2016) for 224 x 224 images; the ImageNet-LT head.
# Dataset configs resize the head: 365 (Places-LT), 5089 / 8142
# (iNaturalist 2017 / 2018).
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
    ))
