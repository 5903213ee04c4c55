# Cross-entropy baseline: ResNet-32 on Tiny-ImageNet-LT (IF 100), the
# backbone of Table 1 of category-wise GHM (Zhang et al. 2022) with its
# CIFAR-LT recipe (LDAM-DRW: 200 epochs, lr 0.1, x0.01 at 160 and 180) on the
# 64 x 64 images.
_base_ = [
    '../_base_/models/resnet32_cifar.py',
    '../_base_/datasets/tiny_imagenet_lt.py',
    '../_base_/schedules/cifar_lt_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=200))
