# Copyright (c) mmlt contributors. All rights reserved.
from .cifar_resnet import CifarResNet
from .resnet10 import ResNet10
from .ride_cifar_resnet import RIDECifarResNet
from .ride_resnet import RIDEResNet

__all__ = ['CifarResNet', 'ResNet10', 'RIDECifarResNet', 'RIDEResNet']
