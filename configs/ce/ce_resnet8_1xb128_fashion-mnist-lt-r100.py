# Cross-entropy baseline on Fashion-MNIST-LT (IF 100), the short CPU recipe.
_base_ = [
    '../_base_/models/resnet8_fashion_mnist.py',
    '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/schedules/fashion_mnist_lt_short.py',
    '../_base_/default_runtime.py',
]
