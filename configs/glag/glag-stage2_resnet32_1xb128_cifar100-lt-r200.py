# GLAG stage two (Zhang & Xiang, 2022), the Adaptive Feature Generator with
# head-class distillation, ResNet-32 on CIFAR-100-LT (IF 200). GLAG paper
# (Zhang & Xiang 2022): "GLAG (ours)" in Table 2 (IF 200 column). The IF-100
# config with the training set at IF 200; pass the GraLoss checkpoint of stage
# one:
#   S1=work_dirs/glag-stage1_resnet32_1xb128_cifar100-lt-r200
#   CFG=configs/glag/glag-stage2_resnet32_1xb128_cifar100-lt-r200.py
#   tools/train.py $CFG --cfg-options load_from=$S1/epoch_200.pth
_base_ = './glag-stage2_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=200))
