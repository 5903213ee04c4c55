# Classifier re-training (cRT), stage two, on CIFAR-10-LT at imbalance
# factor 50; the stage-one (CE) model is that of
#   configs/ce/ce_resnet32_1xb128_cifar10-lt-r50.py
_base_ = './crt_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=50))
