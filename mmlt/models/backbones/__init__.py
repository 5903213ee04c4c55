# Copyright (c) mmlt contributors. All rights reserved.
from .cifar_resnet import CifarResNet
from .resnet10 import ResNet10

__all__ = ['CifarResNet', 'ResNet10']
