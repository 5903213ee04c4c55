# Copyright (c) mmlt contributors. All rights reserved.
"""The multi-expert CIFAR ResNet of RIDE (Wang et al., ICLR 2021)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from .cifar_resnet import CifarBasicBlock


def _stage(in_channels: int, out_channels: int, num_blocks: int, stride: int,
           norm_cfg: dict) -> nn.Sequential:
    blocks = []
    for j in range(num_blocks):
        # Only the first block of a stage changes the shape.
        blocks.append(
            CifarBasicBlock(
                in_channels if j == 0 else out_channels,
                out_channels,
                stride=stride if j == 0 else 1,
                norm_cfg=norm_cfg))
    return nn.Sequential(*blocks)


@MODELS.register_module()
class RIDECifarResNet(BaseModule):
    """A CIFAR ResNet whose later stages are repeated once per expert.

    `Long-tailed Recognition by Routing Diverse Distribution-Aware Experts
    <https://arxiv.org/abs/2010.01809>`_ (RIDE, Wang et al., ICLR 2021):
    the stem and the first stage are shared by all experts; the second and
    third stages are built ``num_experts`` times, each with fewer channels
    than the single model (RIDE's ``reduce_dimension``: 24 and 48 instead
    of 32 and 64 for ResNet-32), so that three experts cost about as much as
    1.5 single models. The blocks are those of
    :class:`~mmlt.models.backbones.CifarResNet` (option-A shortcuts), and the
    shared part has its names (``conv1``, ``norm1``, ``layer1``).

    The output is one feature map per expert, ``(N, D, H, W)`` each, so a
    ``GlobalAveragePooling`` neck gives one pooled feature per expert for
    :class:`~mmlt.models.heads.RIDEHead`.

    Args:
        depth (int): Network depth, ``6n + 2`` (8, 20, 32, ...).
        num_experts (int): Number of experts. Defaults to 3.
        expert_channels (Sequence[int]): Channels of the second and third
            stage of each expert. Defaults to ``(24, 48)`` (RIDE's reduced
            ResNet-32).
        in_channels (int): Input image channels. Defaults to 3.
        base_channels (int): Channels of the stem and the first stage.
            Defaults to 16.
        norm_cfg (dict): Config of the normalization layers.
            Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to Kaiming normal convs and constant 1/0 norms, as
            :class:`~mmlt.models.backbones.CifarResNet`.
    """

    def __init__(self,
                 depth: int,
                 num_experts: int = 3,
                 expert_channels: Sequence[int] = (24, 48),
                 in_channels: int = 3,
                 base_channels: int = 16,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if (not isinstance(depth, int) or isinstance(depth, bool) or depth < 8
                or (depth - 2) % 6 != 0):
            raise ValueError(f'{name}: `depth` must be 6n+2 with n >= 1, '
                             f'e.g. 8, 20 or 32; got {depth!r}')
        if not isinstance(num_experts, int) or num_experts < 1:
            raise ValueError(f'{name}: `num_experts` must be an int >= 1, '
                             f'got {num_experts!r}')
        expert_channels = tuple(expert_channels)
        if len(expert_channels) != 2 or min(expert_channels) < base_channels:
            raise ValueError(
                f'{name}: `expert_channels` must give the channels of the '
                f'two expert stages, each >= base_channels={base_channels} '
                f'(option-A shortcuts only add channels); got '
                f'{expert_channels!r}')
        num_blocks = (depth - 2) // 6
        self.num_experts = num_experts
        self.expert_channels = expert_channels
        self.feat_dim = expert_channels[-1]

        self.conv1 = nn.Conv2d(
            in_channels, base_channels, 3, 1, padding=1, bias=False)
        self.norm1 = build_norm_layer(norm_cfg, base_channels)[1]
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = _stage(base_channels, base_channels, num_blocks, 1,
                             norm_cfg)
        self.experts = nn.ModuleList()
        for _ in range(num_experts):
            self.experts.append(
                nn.Sequential(
                    _stage(base_channels, expert_channels[0], num_blocks, 2,
                           norm_cfg),
                    _stage(expert_channels[0], expert_channels[1], num_blocks,
                           2, norm_cfg)))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """One feature map per expert."""
        shared = self.layer1(self.relu(self.norm1(self.conv1(x))))
        return tuple(expert(shared) for expert in self.experts)
