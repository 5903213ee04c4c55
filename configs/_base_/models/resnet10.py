# ResNet-10 (one basic block per stage, 512 features), the small backbone of
# the ImageNet-LT benchmark.
_base_ = './resnet50.py'
model = dict(
    backbone=dict(_delete_=True, type='ResNet10', out_indices=(3, )),
    head=dict(in_channels=512))
