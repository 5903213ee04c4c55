# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from torch import nn

from ..losses.utils import check_number


def cosine_logits(feats: torch.Tensor,
                  weight: torch.Tensor,
                  eps: float = 1e-12) -> torch.Tensor:
    r"""Cosine similarities between features and class weight vectors.

    :math:`z_{nc} = \frac{x_n^\top W_c}{\lVert x_n \rVert \lVert W_c
    \rVert}`, in :math:`[-1, 1]`. An all-zero feature or weight row gives
    zero similarities rather than NaN (``F.normalize`` clamps the norm to
    ``eps``).

    Args:
        feats (torch.Tensor): The features ``(N, D)``.
        weight (torch.Tensor): The class weights ``(C, D)``, one row per
            class.
        eps (float): Lower bound of the norms. Defaults to 1e-12.

    Returns:
        torch.Tensor: The cosine logits ``(N, C)``.
    """
    feats = F.normalize(feats, dim=1, eps=eps)
    return F.linear(feats, F.normalize(weight, dim=1, eps=eps))


def _check_positive_int(owner: str, arg: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f'{owner}: `{arg}` must be a positive int, '
                         f'got {value!r}.')
    return value


@MODELS.register_module()
class NormedLinearClsHead(ClsHead):
    r"""A cosine classifier: normalised features times normalised weights.

    The classifier of `Learning Imbalanced Datasets with Label-Distribution-
    Aware Margin Loss <https://arxiv.org/abs/1906.07413>`_ (Cao et al.,
    NeurIPS 2019): :math:`z_c = \mathrm{scale} \cdot \cos(x, W_c)` (see
    :func:`cosine_logits`), no bias. LDAM subtracts its margins from logits
    in :math:`[-1, 1]` and applies its own scale ``s``, so with
    ``LDAMLoss`` keep ``scale=1.0``; with a loss without a scale (e.g.
    ``CrossEntropyLoss``) set ``scale`` to a temperature such as 16 or 30,
    since a softmax over cosines alone is almost flat.

    The weights are ``fc.weight``, as in ``LinearClsHead`` (without
    ``fc.bias``). With ``init_cfg=None`` every row starts with unit length,
    as in the LDAM reference: the gradient of a normalised row scales with
    the inverse of its norm, so e.g. ``Normal(std=0.01)`` rows would take
    far larger steps.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        scale (float): Factor of the cosine logits, > 0. Defaults to 1.0.
        init_cfg (dict, optional): The config to initialise ``fc``.
            Defaults to None (random rows of unit length).
        **kwargs: Other arguments of ``ClsHead`` (``loss``, ``topk``,
            ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 scale: float = 1.0,
                 init_cfg: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        name = type(self).__name__
        self.num_classes = _check_positive_int(name, 'num_classes',
                                               num_classes)
        self.in_channels = _check_positive_int(name, 'in_channels',
                                               in_channels)
        self.scale = check_number(name, 'scale', scale, 0, low_inclusive=False)
        self.fc = nn.Linear(in_channels, num_classes, bias=False)

    def init_weights(self) -> None:
        """Initialise ``fc`` by ``init_cfg``, or, without one, with random
        rows of unit length."""
        if self.init_cfg is None and not self.is_init:
            with torch.no_grad():
                weight = self.fc.weight.uniform_(-1., 1.)
                weight.div_(
                    torch.linalg.vector_norm(weight, dim=1, keepdim=True))
        super().init_weights()

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The scaled cosine logits ``(N, C)``."""
        return self.scale * cosine_logits(
            self.pre_logits(feats), self.fc.weight)
