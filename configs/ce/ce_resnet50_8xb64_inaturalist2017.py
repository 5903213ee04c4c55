# Cross-entropy baseline: ResNet-50 on iNaturalist 2017, GLAG's 90-epoch
# cosine recipe, from scratch.
_base_ = [
    '../_base_/models/resnet50.py',
    '../_base_/datasets/inaturalist2017.py',
    '../_base_/schedules/inaturalist_90e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=5089))
