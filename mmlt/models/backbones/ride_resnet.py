# Copyright (c) mmlt contributors. All rights reserved.
"""The multi-expert ResNet of RIDE (Wang et al., ICLR 2021)."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.backbones import ResNet
from mmpretrain.registry import MODELS


@MODELS.register_module()
class RIDEResNet(ResNet):
    """A ResNet whose last two stages are repeated per expert.

    `Long-tailed Recognition by Routing Diverse Distribution-Aware Experts
    <https://arxiv.org/abs/2010.01809>`_ (RIDE, Wang et al., ICLR 2021), the
    ImageNet-LT / iNaturalist model of the authors' code: the stem and the
    first two stages are mmpretrain's ``ResNet`` (same module names, so an
    ImageNet checkpoint of ``ResNet`` loads into the shared part with
    ``init_cfg=dict(type='Pretrained', ..., prefix='backbone.')``); the third
    and fourth stages are built once per expert with fewer channels
    (``reduce_dimension``: 192 x 4 and 384 x 4 = 768 and 1536 output
    channels instead of 1024 and 2048 for ResNet-50).

    The output is one feature map per expert (``GlobalAveragePooling`` gives
    one pooled feature per expert for :class:`~mmlt.models.heads.RIDEHead`).

    Args:
        depth (int): 50, 101 or 152 (bottleneck ResNets).
        num_experts (int): Number of experts. Defaults to 3.
        expert_channels (Sequence[int]): Output channels of the third and
            fourth stage of each expert. Defaults to ``(768, 1536)``.
        **kwargs: Other arguments of mmpretrain's ``ResNet`` (``norm_cfg``,
            ``init_cfg``, ``zero_init_residual``, ...); ``num_stages`` and
            ``out_indices`` are fixed.
    """

    def __init__(self,
                 depth: int,
                 num_experts: int = 3,
                 expert_channels: Sequence[int] = (768, 1536),
                 **kwargs):
        name = type(self).__name__
        for key in ('num_stages', 'out_indices'):
            if key in kwargs:
                raise ValueError(f'{name}: `{key}` is fixed (two shared '
                                 f'stages, one output per expert); remove it '
                                 f'from the config.')
        if depth not in (50, 101, 152):
            raise ValueError(f'{name}: `depth` must be 50, 101 or 152 '
                             f'(bottleneck ResNets), got {depth!r}')
        if not isinstance(num_experts, int) or num_experts < 1:
            raise ValueError(f'{name}: `num_experts` must be an int >= 1, '
                             f'got {num_experts!r}')
        expert_channels = tuple(expert_channels)
        if len(expert_channels) != 2:
            raise ValueError(f'{name}: `expert_channels` must give the output '
                             f'channels of the two expert stages, got '
                             f'{expert_channels!r}')
        strides = kwargs.pop('strides', (1, 2, 2, 2))
        dilations = kwargs.pop('dilations', (1, 1, 1, 1))
        super().__init__(
            depth,
            num_stages=2,
            out_indices=(1, ),
            strides=strides[:2],
            dilations=dilations[:2],
            **kwargs)
        stage_blocks = self.arch_settings[depth][1]
        self.num_experts = num_experts
        self.expert_channels = expert_channels
        self.feat_dim = expert_channels[-1]
        self.experts = nn.ModuleList()
        for _ in range(num_experts):
            in_channels = self.feat_dim_shared
            layers = []
            for i, out_channels in enumerate(expert_channels):
                layers.append(
                    self.make_res_layer(
                        block=self.block,
                        num_blocks=stage_blocks[2 + i],
                        in_channels=in_channels,
                        out_channels=out_channels,
                        expansion=self.expansion,
                        stride=strides[2 + i],
                        dilation=dilations[2 + i],
                        style=self.style,
                        avg_down=self.avg_down,
                        with_cp=self.with_cp,
                        conv_cfg=self.conv_cfg,
                        norm_cfg=self.norm_cfg))
                in_channels = out_channels
            self.experts.append(nn.Sequential(*layers))

    @property
    def feat_dim_shared(self) -> int:
        """int: Channels of the shared part's output."""
        return self.base_channels * 2 * self.expansion

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """One feature map per expert."""
        shared = super().forward(x)[-1]
        return tuple(expert(shared) for expert in self.experts)
