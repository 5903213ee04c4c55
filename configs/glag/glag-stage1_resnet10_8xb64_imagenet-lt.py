# GLAG stage one (Zhang & Xiang, 2022): ResNet-10 on ImageNet-LT with the
# Gradual Balanced Loss. The ResNet-50 config with the backbone of
# configs/_base_/models/resnet10.py (the recipes of the two CE configs differ
# only there). GLAG paper (Zhang & Xiang 2022): the stage one of "GLAG (ours)"
# with ResNet-10 on ImageNet-LT (its ImageNet-LT table, Sec. 5.2.2).
_base_ = './glag-stage1_resnet50_8xb64_imagenet-lt.py'

model = dict(
    backbone=dict(_delete_=True, type='ResNet10', out_indices=(3, )),
    head=dict(in_channels=512))
