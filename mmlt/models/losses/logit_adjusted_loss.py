# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .utils import (buffer_like, check_choice, check_class_counts,
                    check_finite, check_finite_loss, check_number,
                    get_reduction, read_target, reduce_loss, set_buffer)


def logit_adjustment(class_counts: CountsLike,
                     tau: float = 1.0) -> torch.Tensor:
    r"""The logit adjustment :math:`\tau \log \pi`, with
    :math:`\pi_j = n_j / \sum_k n_k` the training class prior.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            per class, shape ``(C, )``.
        tau (float): The temperature :math:`\tau`. Defaults to 1.0.

    Returns:
        torch.Tensor: The adjustment ``(C, )``, float64.
    """
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    if counts.dim() != 1 or (counts <= 0).any():
        raise ValueError(f'logit_adjustment: class_counts must be positive '
                         f'counts of shape (C, ), got {counts.tolist()}.')
    return tau * torch.log(counts / counts.sum())


@MODELS.register_module()
class LogitAdjustedLoss(ClassCountsMixin, nn.Module):
    r"""Logit-adjusted softmax cross-entropy (Menon et al., ICLR 2021).

    `Long-tail learning via logit adjustment
    <https://arxiv.org/abs/2007.07314>`_: the cross-entropy of the logits
    plus :math:`\tau \log \pi` (:func:`logit_adjustment`),

    .. math:: \ell = -\log \frac{e^{z_y + \tau \log \pi_y}}
              {\sum_j e^{z_j + \tau \log \pi_j}}.

    The adjustment is applied in training only (by the loss); the model
    predicts with the raw logits. Soft targets ``q`` (Mixup/CutMix) give
    :math:`-\sum_c q_c \log \mathrm{softmax}(z + \tau \log \pi)_c`.

    Args:
        tau (float): The temperature :math:`\tau`. Defaults to 1.0.
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 tau: float = 1.0,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.tau = check_number(name, 'tau', tau)
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('logit_adjust', None, persistent=False)
        self.init_class_counts(class_counts)

    def class_counts_changed(self) -> None:
        """Recompute the adjustment from the new counts."""
        adjust = logit_adjustment(self.class_counts.cpu(), self.tau).float()
        # Fail when the counts arrive rather than at the first step.
        check_finite(
            type(self).__name__, adjust, 'the logit adjustments tau * '
            'log(prior) (in float32)', f'lower `tau` (={self.tau}).')
        set_buffer(self, 'logit_adjust', adjust)

    def _non_finite_hint(self) -> str:
        return (f'lower `tau` (={self.tau}) or check the input logits for '
                f'inf/NaN.')

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
        check_class_counts(self, cls_score)
        # The adjustment was checked finite when the counts were set; the
        # logits are checked through the per-sample loss below, which is
        # inf/NaN whenever an adjusted logit is (N values, not N * C).
        logits = cls_score + buffer_like(self, 'logit_adjust', cls_score)
        # -sum_c q_c log softmax(z + tau log pi)_c, a gather for hard labels.
        loss = F.cross_entropy(
            logits, label if target is None else target, reduction='none')
        check_finite_loss(name, loss,
                          'the adjusted logits z + tau * log(prior)',
                          self._non_finite_hint())
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
