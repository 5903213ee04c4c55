# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .utils import (ClassWeightMixin, buffer_like, check_choice,
                    check_class_counts, check_num_classes,
                    class_weighted_reduce, get_reduction, read_target,
                    reduce_loss)


@MODELS.register_module()
class ReweightedCrossEntropyLoss(ClassCountsMixin, ClassWeightMixin,
                                 nn.Module):
    r"""Softmax cross-entropy with per-class weights settable at run time.

    The plain-CE side of deferred re-weighting (CE-DRW, Cao et al. 2019): a
    hook computes :func:`deferred_reweighting_weights` each epoch and calls
    :meth:`set_class_weight`. Weighted, the loss follows
    ``F.cross_entropy(weight=...)``: ``'mean'`` is
    :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}` (``avg_factor`` is read as
    a number of samples, see
    :func:`~mmlt.models.losses.utils.class_weighted_reduce`). Soft targets
    ``q`` (Mixup/CutMix) give :math:`-\sum_c q_c w_c \log p_c` over
    :math:`\sum_i \sum_c q_{ic} w_c`.

    The counts are not used by the loss itself; when given (or set by
    ``ClassCountsHook``) they are checked against the logits and a DRW hook
    can read them with ``get_class_counts()``.

    Args:
        class_weight (Sequence[float], optional): Per-class weights.
            Defaults to None (unweighted).
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    # The loss does not divide by the counts.
    class_counts_allow_zero = True

    def __init__(self,
                 class_weight: Optional[Sequence[float]] = None,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        check_choice(
            type(self).__name__, 'reduction', reduction,
            ('none', 'mean', 'sum'))
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.init_class_counts(class_counts)
        self.set_class_weight(class_weight)

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
            avg_factor (float, optional): Number of samples to average over.
                Defaults to None (the batch size).
            reduction_override (str, optional): Overrides ``reduction``.
                Defaults to None.

        Returns:
            torch.Tensor: The loss.
        """
        name = type(self).__name__
        reduction = get_reduction(name, self.reduction, reduction_override)
        label, target = read_target(name, cls_score, label)
        if self.has_class_counts:
            check_class_counts(self, cls_score)
        # F.cross_entropy: -log p_y for hard labels, -sum_c q_c log p_c for
        # soft targets; with ``weight`` the terms are w_y (-log p_y) and
        # -sum_c q_c w_c log p_c, the class-weighted losses below.
        if self.class_weight is None:
            loss = F.cross_entropy(
                cls_score,
                label if target is None else target,
                reduction='none')
            loss = reduce_loss(loss, weight, reduction, avg_factor, name)
        else:
            check_num_classes(name, cls_score, self.class_weight.numel(),
                              'class_weight')
            per_class = buffer_like(self, 'class_weight', cls_score)
            loss = F.cross_entropy(
                cls_score,
                label if target is None else target,
                weight=per_class,
                reduction='none')
            # The class weight of each sample: w_y, or q @ w for soft ones.
            class_weight = (
                per_class[label] if target is None else target @ per_class)
            loss = class_weighted_reduce(loss, class_weight, weight, reduction,
                                         avg_factor, name)
        return self.loss_weight * loss
