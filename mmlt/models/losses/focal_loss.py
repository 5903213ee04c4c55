# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from .utils import (check_choice, check_number, get_reduction, read_target,
                    reduce_loss)


def softmax_focal_loss(cls_score: torch.Tensor,
                       target: torch.Tensor,
                       gamma: float = 2.0) -> torch.Tensor:
    r"""Multi-class focal loss of each sample (Lin et al., ICCV 2017).

    .. math:: \ell = -\sum_c q_c (1 - p_c)^\gamma \log p_c,
              \quad p = \mathrm{softmax}(z),

    i.e. :math:`-(1 - p_y)^\gamma \log p_y` for a one-hot target ``q``.
    Computed from ``log_softmax``; :math:`1 - p` is ``-expm1(log p)`` so it
    stays accurate when :math:`p \to 1`.

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        target (torch.Tensor): The target distribution ``(N, C)``, or
            integer class indices ``(N, )`` (computed from the target's
            logit only).
        gamma (float): The focusing parameter. Defaults to 2.0.

    Returns:
        torch.Tensor: The per-sample losses ``(N, )``.
    """
    if target.dim() == 1:
        # Hard labels: only the target's term, -(1 - p_y)^gamma log p_y.
        log_prob = -F.cross_entropy(cls_score, target, reduction='none')
        return -_focal_factor(log_prob, gamma) * log_prob
    log_prob = F.log_softmax(cls_score, dim=1)
    return -(target * _focal_factor(log_prob, gamma) * log_prob).sum(dim=1)


def _focal_factor(log_prob: torch.Tensor, gamma: float) -> torch.Tensor:
    """:math:`(1 - p)^\\gamma` from :math:`\\log p`."""
    # The clamp keeps the gradient finite for gamma < 1 when p rounds to 1.
    one_minus_p = (-torch.expm1(log_prob)).clamp(
        min=torch.finfo(log_prob.dtype).tiny)
    return one_minus_p.pow(gamma)


@MODELS.register_module()
class SoftmaxFocalLoss(nn.Module):
    r"""Softmax (multi-class) focal loss.

    `Focal Loss for Dense Object Detection <https://arxiv.org/abs/1708.02002>`_
    applied to the softmax: :math:`-(1 - p_y)^\gamma \log p_y`
    (:func:`softmax_focal_loss`). mmpretrain's ``FocalLoss`` is the sigmoid
    version. Soft targets ``q`` (Mixup/CutMix) give
    :math:`-\sum_c q_c (1 - p_c)^\gamma \log p_c`, the expected hard-label
    loss.

    Args:
        gamma (float): The focusing parameter :math:`\gamma \ge 0`; 0 is the
            cross-entropy. Defaults to 2.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 gamma: float = 2.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.gamma = check_number(name, 'gamma', gamma, 0)
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            cls_score (torch.Tensor): The logits ``(N, C)``.
            label (torch.Tensor): Class indices ``(N, )`` or soft targets
                ``(N, C)``.
            weight (torch.Tensor, optional): Per-sample weights ``(N, )``.
                Defaults to None.
            avg_factor (float, optional): Divisor for ``'mean'``.
                Defaults to None (the batch size).
            reduction_override (str, optional): Overrides ``reduction``.
                Defaults to None.

        Returns:
            torch.Tensor: The loss.
        """
        name = type(self).__name__
        reduction = get_reduction(name, self.reduction, reduction_override)
        label, target = read_target(name, cls_score, label)
        loss = softmax_focal_loss(cls_score,
                                  label if target is None else target,
                                  self.gamma)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
