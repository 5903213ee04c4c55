# The small CIFAR ResNet of the Fashion-MNIST recipe: depth 8 on 1x28x28.
_base_ = './resnet32_cifar.py'
model = dict(backbone=dict(depth=8, in_channels=1))
