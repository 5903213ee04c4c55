# ResNet-32 for CIFAR (He et al. 2016, option-A shortcuts, 0.46M params).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', depth=32, in_channels=3),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, ),
    ))
