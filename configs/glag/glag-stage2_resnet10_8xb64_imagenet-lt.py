# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator with
# head-class distillation, ResNet-10 on ImageNet-LT. GLAG paper
# (Zhang & Xiang 2022): "GLAG (ours)" with ResNet-10 in its ImageNet-LT table
# (Sec. 5.2.2). The ResNet-50 config with the backbone of
# configs/_base_/models/resnet10.py; 512-d features let 1000 classes keep full
# covariances (1.1 GB). Pass the stage-one checkpoint:
#   S1=work_dirs/glag-stage1_resnet10_8xb64_imagenet-lt
#   CFG=configs/glag/glag-stage2_resnet10_8xb64_imagenet-lt.py
#   tools/dist_train.sh $CFG 8 --cfg-options load_from=$S1/epoch_200.pth
_base_ = './glag-stage2_resnet50_8xb64_imagenet-lt.py'

model = dict(
    backbone=dict(_delete_=True, type='ResNet10', out_indices=(3, )),
    head=dict(in_channels=512, covariance_type='full'))
