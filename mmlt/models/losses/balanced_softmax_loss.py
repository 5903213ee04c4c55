# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

from mmpretrain.registry import MODELS

from mmlt.utils.class_counts import CountsLike
from .logit_adjusted_loss import LogitAdjustedLoss


@MODELS.register_module()
class BalancedSoftmaxLoss(LogitAdjustedLoss):
    r"""Balanced softmax cross-entropy (Ren et al., NeurIPS 2020).

    `Balanced Meta-Softmax for Long-Tailed Visual Recognition
    <https://arxiv.org/abs/2007.10740>`_: the softmax is re-weighted by the
    class counts, :math:`\hat p_j \propto n_j e^{z_j}`, i.e. the
    cross-entropy of :math:`z + \log \pi` — the logit-adjusted loss with
    :math:`\tau = 1`. Accepts soft targets (Mixup/CutMix).

    Args:
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__(
            tau=1.0,
            class_counts=class_counts,
            loss_weight=loss_weight,
            reduction=reduction)

    def _non_finite_hint(self) -> str:
        # log(prior) of integer counts is finite: the logits are at fault.
        return 'the input logits contain inf/NaN (diverged training?).'
