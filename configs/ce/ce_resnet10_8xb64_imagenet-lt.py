# Cross-entropy baseline: ResNet-10 on ImageNet-LT, GLAG's 200-epoch cosine
# recipe.
_base_ = [
    '../_base_/models/resnet10.py',
    '../_base_/datasets/imagenet_lt.py',
    '../_base_/schedules/imagenet_lt_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=1000))
