# Copyright (c) mmlt contributors. All rights reserved.
"""The CIFAR ResNet of He et al. (2016, sec. 4.2) with option-A shortcuts."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

# Channel widths of the three stages relative to ``base_channels`` and their
# strides, as in He et al. (2016), sec. 4.2: 16/32/64 channels on 32/16/8 maps.
_STAGE_WIDTHS = (1, 2, 4)
_STAGE_STRIDES = (1, 2, 2)


class OptionAShortcut(nn.Module):
    """Parameter-free identity shortcut ("option A" of He et al., 2016).

    When a block changes the feature shape, the identity is subsampled
    spatially (``x[:, :, ::stride, ::stride]``) and the missing channels are
    filled with zeros. The zeros are split between both ends of the channel
    axis (``pad // 2`` before, the rest after), as in the reference CIFAR
    ResNets used by long-tail papers (e.g. LDAM-DRW), so the identity lands
    on the same channels as in their checkpoints.

    Args:
        in_channels (int): Channels of the input.
        out_channels (int): Channels of the output; must not be smaller
            than ``in_channels``.
        stride (int): Spatial subsampling step. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        if out_channels < in_channels:
            raise ValueError('OptionAShortcut can only add channels, got '
                             f'in_channels={in_channels} > '
                             f'out_channels={out_channels}')
        if stride < 1:
            raise ValueError(f'stride must be >= 1, got {stride}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            # Same output size as a 3x3/stride-s conv with padding 1:
            # ceil(H / s).
            x = x[:, :, ::self.stride, ::self.stride]
        pad = self.out_channels - self.in_channels
        if pad > 0:
            front = pad // 2
            # F.pad lists dims from the last one: (W, W, H, H, C, C).
            x = F.pad(x, (0, 0, 0, 0, front, pad - front))
        return x

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, '
                f'stride={self.stride}')


class CifarBasicBlock(nn.Module):
    """Two 3x3 convs with a residual connection (option-A shortcut).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv. Defaults to 1.
        norm_cfg (dict): Config of the normalization layers.
            Defaults to ``dict(type='BN')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        # Convs carry no bias: the following norm layer has its own shift.
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.norm1 = build_norm_layer(norm_cfg, out_channels)[1]
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, 1, padding=1, bias=False)
        self.norm2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.relu = nn.ReLU(inplace=True)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = OptionAShortcut(in_channels, out_channels, stride)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarResNet(BaseModule):
    """CIFAR ResNet of He et al. (2016, sec. 4.2) with option-A shortcuts.

    The network used by long-tailed recognition papers (ResNet-32 in
    LDAM-DRW, BBN, ...): a 3x3 conv stem with ``base_channels`` channels,
    then three stages of ``n`` basic blocks with ``base_channels * (1, 2,
    4)`` channels and strides 1/2/2, so that ``depth = 6n + 2``. Shortcuts
    that change the shape are parameter-free (see :class:`OptionAShortcut`).

    This differs from mmpretrain's ``ResNet_CIFAR``, which is an ImageNet
    ResNet (64-512 channels, projection shortcuts) with a CIFAR stem.

    Args:
        depth (int): Network depth, ``6n + 2`` with ``n >= 1`` (8, 14, 20,
            32, 44, 56, 110, ...).
        in_channels (int): Input image channels, e.g. 1 for grayscale
            Fashion-MNIST. Defaults to 3.
        base_channels (int): Channels of the stem and the first stage.
            Defaults to 16.
        out_indices (Sequence[int]): Indices (0, 1 or 2; negative values
            count from the end) of the stages whose outputs are returned.
            Defaults to ``(2,)``.
        frozen_stages (int): Freeze the stem and the first ``frozen_stages``
            stages (stop gradients and keep their norm layers in eval mode);
            0 freezes the stem only, -1 nothing. Defaults to -1.
        norm_eval (bool): Keep every BN layer in eval mode (frozen running
            statistics) during training. Defaults to False.
        norm_cfg (dict): Config of the normalization layers.
            Defaults to ``dict(type='BN')``.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to Kaiming normal for convs and constant 1/0 for norm
            layers (He initialization, as the reference CIFAR ResNets).
    """

    def __init__(self,
                 depth: int,
                 in_channels: int = 3,
                 base_channels: int = 16,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        if (not isinstance(depth, int) or isinstance(depth, bool) or depth < 8
                or (depth - 2) % 6 != 0):
            raise ValueError(
                'CifarResNet: `depth` must be 6n+2 with n >= 1, e.g. one of '
                f'8, 14, 20, 32, 44, 56, 110; got {depth!r}')
        num_stages = len(_STAGE_WIDTHS)
        if isinstance(out_indices, int):
            out_indices = (out_indices, )
        normalized = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(
                    f'CifarResNet: `out_indices` entries must be in '
                    f'[{-num_stages}, {num_stages - 1}], got {index}')
            normalized.append(index % num_stages)
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'CifarResNet: `frozen_stages` must be in '
                             f'[-1, {num_stages}], got {frozen_stages}')

        self.depth = depth
        self.num_blocks = (depth - 2) // 6
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.out_indices = tuple(normalized)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.norm_cfg = norm_cfg

        self.conv1 = nn.Conv2d(
            in_channels, base_channels, 3, 1, padding=1, bias=False)
        self.norm1 = build_norm_layer(norm_cfg, base_channels)[1]
        self.relu = nn.ReLU(inplace=True)

        self.res_layers = []
        channels = base_channels
        for i, (width,
                stride) in enumerate(zip(_STAGE_WIDTHS, _STAGE_STRIDES)):
            out_channels = base_channels * width
            blocks = []
            for j in range(self.num_blocks):
                # Only the first block of a stage changes the shape.
                blocks.append(
                    CifarBasicBlock(
                        channels,
                        out_channels,
                        stride=stride if j == 0 else 1,
                        norm_cfg=norm_cfg))
                channels = out_channels
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, nn.Sequential(*blocks))
            self.res_layers.append(layer_name)
        self.feat_dim = channels

        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Stop gradients and BN updates of the frozen stem and stages."""
        if self.frozen_stages >= 0:
            frozen = [self.conv1, self.norm1]
            frozen += [
                getattr(self, name)
                for name in self.res_layers[:self.frozen_stages]
            ]
            for module in frozen:
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.relu(self.norm1(self.conv1(x)))
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'CifarResNet':
        """Set train mode, keeping frozen and ``norm_eval`` BNs in eval."""
        super().train(mode)
        # ``nn.Module.train`` flips every submodule back to training mode, so
        # the frozen parts must be put back into eval mode each time.
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
