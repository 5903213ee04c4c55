# Learnable weight scaling (LWS), stage two, on CIFAR-100-LT at imbalance
# factor 10; the stage-one (CE) model is that of
#   configs/ce/ce_resnet32_1xb128_cifar100-lt-r10.py
_base_ = './lws_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
