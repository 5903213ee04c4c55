# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .utils import (ClassWeightMixin, buffer_like, check_choice,
                    check_class_counts, check_finite, check_finite_loss,
                    check_num_classes, check_number, class_weighted_reduce,
                    get_reduction, read_target, reduce_loss, set_buffer)


def ldam_margins(class_counts: CountsLike, max_m: float = 0.5) -> torch.Tensor:
    r"""Label-distribution-aware margins :math:`\Delta_j = K / n_j^{1/4}`.

    The constant ``K`` is chosen so that the largest margin (the rarest
    class's) equals ``max_m``.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            per class, shape ``(C, )``.
        max_m (float): The largest margin. Defaults to 0.5.

    Returns:
        torch.Tensor: The margins ``(C, )``, float64.
    """
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    if counts.dim() != 1 or (counts <= 0).any():
        raise ValueError(f'ldam_margins: class_counts must be positive counts '
                         f'of shape (C, ), got {counts.tolist()}.')
    margins = counts.pow(-0.25)
    return margins * (max_m / margins.max())


def ldam_logits(cls_score: torch.Tensor, label: torch.Tensor,
                margins: torch.Tensor, s: float) -> torch.Tensor:
    r"""The LDAM logits :math:`s (z - \Delta_y e_y)`: the target logit
    lowered by its class's margin, then everything scaled by ``s``.

    Built without a one-hot matrix: :math:`-s \Delta_y` is scattered into a
    constant, then :math:`s z` is added in place, so the backward is one
    scaling (writing into :math:`s z` with ``scatter_`` would also copy and
    mask the gradient).

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        label (torch.Tensor): Class indices ``(N, )``.
        margins (torch.Tensor): Per-class margins ``(C, )``.
        s (float): The scale.

    Returns:
        torch.Tensor: The adjusted logits ``(N, C)``.
    """
    margin = margins.to(cls_score)[label]
    logits = cls_score.new_zeros(cls_score.shape).scatter_(
        1, label.unsqueeze(1),
        margin.mul(-s).unsqueeze(1))
    return logits.add_(cls_score, alpha=s)


@MODELS.register_module()
class LDAMLoss(ClassCountsMixin, ClassWeightMixin, nn.Module):
    r"""Label-distribution-aware margin loss (Cao et al., NeurIPS 2019).

    `Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss
    <https://arxiv.org/abs/1906.07413>`_:

    .. math:: \ell = \mathrm{CE}\big(s (z - \Delta_y e_y), y\big),
              \quad \Delta_j \propto n_j^{-1/4},\ \max_j \Delta_j = m,

    the cross-entropy with the target logit lowered by its class's margin
    (:func:`ldam_margins`, :func:`ldam_logits`); as in the reference code,
    the margin is subtracted from the raw logit and the result is scaled by
    ``s`` (meant for normalised features/weights, whose logits lie in
    ``[-1, 1]``). Needs hard labels.

    Per-class weights (deferred re-weighting, DRW) are set with
    ``class_weight=`` or at run time with :meth:`set_class_weight`. Weighted,
    the loss follows ``F.cross_entropy(weight=...)``: ``'mean'`` divides
    :math:`\sum_i w_{y_i} \ell_i` by :math:`\sum_i w_{y_i}`, as the LDAM-DRW
    reference does (``avg_factor`` is read as a number of samples, see
    :func:`~mmlt.models.losses.utils.class_weighted_reduce`).

    Args:
        max_m (float): The largest margin :math:`m \ge 0`. Defaults to 0.5.
        s (float): The logit scale :math:`s > 0`. Defaults to 30.0.
        class_weight (Sequence[float], optional): Per-class weights.
            Defaults to None (unweighted).
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.0,
                 class_weight: Optional[Sequence[float]] = None,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.max_m = check_number(name, 'max_m', max_m, 0)
        self.s = check_number(name, 's', s, 0, low_inclusive=False)
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('margins', None, persistent=False)
        self.init_class_counts(class_counts)
        self.set_class_weight(class_weight)

    def class_counts_changed(self) -> None:
        """Recompute the margins from the new counts."""
        margins = ldam_margins(self.class_counts.cpu(), self.max_m).float()
        # Fail when the counts arrive rather than at the first step.
        check_finite(
            type(self).__name__, self.s * margins, 'the scaled margins '
            's * margin (in float32)', f'lower `s` (={self.s}) or `max_m` '
            f'(={self.max_m}).')
        set_buffer(self, 'margins', margins)

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
            label (torch.Tensor): Class indices ``(N, )`` (or exactly
                one-hot ``(N, C)`` targets).
            weight (torch.Tensor, optional): Per-sample weights ``(N, )``.
                Defaults to None.
            avg_factor (float, optional): Number of samples to average over.
                Defaults to None (the batch size).
            reduction_override (str, optional): Overrides ``reduction``.
                Defaults to None.

        Returns:
            torch.Tensor: The loss.
        """
        name = type(self).__name__
        reduction = get_reduction(name, self.reduction, reduction_override)
        label, _ = read_target(name, cls_score, label, allow_soft=False)
        check_class_counts(self, cls_score)
        logits = ldam_logits(cls_score, label,
                             buffer_like(self, 'margins', cls_score), self.s)
        loss = F.cross_entropy(logits, label, reduction='none')
        check_finite_loss(
            name, loss, 'the margin logits s * (z - margin)',
            f'lower `s` (={self.s}) or `max_m` (={self.max_m}), or check the '
            f'input logits for inf/NaN.')
        if self.class_weight is None:
            loss = reduce_loss(loss, weight, reduction, avg_factor, name)
        else:
            check_num_classes(name, cls_score, self.class_weight.numel(),
                              'class_weight')
            class_weight = buffer_like(self, 'class_weight', cls_score)[label]
            loss = class_weighted_reduce(loss * class_weight, class_weight,
                                         weight, reduction, avg_factor, name)
        return self.loss_weight * loss
