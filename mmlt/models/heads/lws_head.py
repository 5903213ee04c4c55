# Copyright (c) mmlt contributors. All rights reserved.
from typing import Tuple

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from torch import nn

from ..utils import freeze_module


@MODELS.register_module()
class LWSHead(LinearClsHead):
    r"""A linear head with a learnable scale per class (LWS).

    Learnable weight scaling of `Decoupling Representation and Classifier
    for Long-Tailed Recognition <https://arxiv.org/abs/1910.09217>`_ (Kang
    et al., ICLR 2020): :math:`z_c = f_c \, (W x + b)_c`, with the scales
    :math:`f` initialised to 1. In the LWS stage the classifier ``fc`` of the
    first stage is kept and only :math:`f` is learned, with class-balanced
    sampling (see ``configs/decoupling/lws_*``); the checkpoint of a
    ``LinearClsHead`` loads as is (``scales`` start at 1).

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        train_scales_only (bool): Whether to freeze ``fc`` (W and b), so that
            only the scales train. Defaults to True.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 train_scales_only: bool = True,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.train_scales_only = train_scales_only
        self.scales = nn.Parameter(torch.ones(num_classes))
        if train_scales_only:
            freeze_module(self.fc)

    def init_weights(self) -> None:
        """Initialise ``fc`` by ``init_cfg`` and the scales to 1."""
        super().init_weights()
        with torch.no_grad():
            self.scales.fill_(1.)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The scaled logits :math:`f_c (W x + b)_c`."""
        return super().forward(feats) * self.scales
