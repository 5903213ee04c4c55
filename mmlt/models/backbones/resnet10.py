# Copyright (c) mmlt contributors. All rights reserved.
from mmpretrain.models.backbones.resnet import BasicBlock, ResNet
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ResNet10(ResNet):
    """ResNet-10: the ImageNet ResNet with one basic block per stage.

    The small backbone of the ImageNet-LT benchmark (Liu et al., CVPR 2019;
    used again by Kang et al., ICLR 2020, and GLAG): the stem and four stages
    of ResNet-18 with one block instead of two, 512 output channels. Every
    other argument is mmpretrain's :class:`~mmpretrain.models.ResNet`.

    Args:
        depth (int): Must be 10. Defaults to 10.
        **kwargs: Other arguments of :class:`~mmpretrain.models.ResNet`.
    """

    arch_settings = {10: (BasicBlock, (1, 1, 1, 1))}

    def __init__(self, depth: int = 10, **kwargs):
        super().__init__(depth=depth, **kwargs)
