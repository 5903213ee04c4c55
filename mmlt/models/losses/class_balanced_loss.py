# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .utils import (buffer_like, check_choice, check_class_counts,
                    check_number, get_reduction, read_target, reduce_loss,
                    set_buffer)

WEIGHTINGS = ('effective_number', 'inverse')
LOSS_TYPES = ('softmax', 'sigmoid', 'focal')


def class_balanced_weights(class_counts: CountsLike,
                           beta: float = 0.9999,
                           weighting: str = 'effective_number'
                           ) -> torch.Tensor:
    r"""Class-balanced weights of Cui et al. (CVPR 2019).

    With ``'effective_number'`` the weight of class :math:`c` is the inverse
    effective number of samples

    .. math:: w_c \propto \frac{1 - \beta}{1 - \beta^{n_c}},

    which is uniform for :math:`\beta = 0` and tends to :math:`1 / n_c` as
    :math:`\beta \to 1`; ``'inverse'`` uses :math:`w_c \propto 1 / n_c`
    (``beta`` is then unused). Either way the weights are normalised so that
    :math:`\sum_c w_c = C`.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            of each class, shape ``(C, )``.
        beta (float): The hyper-parameter :math:`\beta \in [0, 1)`.
            Defaults to 0.9999.
        weighting (str): ``'effective_number'`` or ``'inverse'``.
            Defaults to ``'effective_number'``.

    Returns:
        torch.Tensor: The weights, shape ``(C, )``, float64, on the device of
        ``class_counts``.
    """
    owner = 'class_balanced_weights'
    check_choice(owner, 'weighting', weighting, WEIGHTINGS)
    beta = check_number(owner, 'beta', beta, 0, 1, high_inclusive=False)
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    if counts.dim() != 1 or (counts <= 0).any():
        raise ValueError(f'{owner}: class_counts must be positive counts of '
                         f'shape (C, ), got {counts.tolist()}.')
    if weighting == 'inverse':
        weights = 1.0 / counts
    elif beta == 0:
        weights = torch.ones_like(counts)
    else:
        # 1 - beta^n via expm1: beta^n is within 1e-4 of 1 for small n.
        weights = (1.0 - beta) / -torch.expm1(counts * math.log(beta))
    return weights * (counts.numel() / weights.sum())


def loss_per_target_class(cls_score: torch.Tensor,
                          loss_type: str = 'softmax',
                          gamma: float = 2.0) -> torch.Tensor:
    r"""Each sample's unweighted loss for every possible target class.

    Entry ``(i, c)`` is the loss of sample ``i`` were its label ``c``:
    :math:`-\log \mathrm{softmax}(z_i)_c` for ``'softmax'``, and for
    ``'sigmoid'``/``'focal'`` the sum over logits ``j`` of
    :math:`(1 - p_t)^\gamma \mathrm{BCE}(z_{ij}, [j = c])` with
    :math:`p_t = \sigma(z_{ij})` if ``j = c`` else :math:`1 - \sigma(z_{ij})`
    (:math:`\gamma = 0` for ``'sigmoid'``). The class-balanced loss is linear
    in the target, so hard labels and soft (mixup) targets both read it.

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        loss_type (str): ``'softmax'``, ``'sigmoid'`` or ``'focal'``.
            Defaults to ``'softmax'``.
        gamma (float): Focusing parameter, used by ``'focal'`` only.
            Defaults to 2.0.

    Returns:
        torch.Tensor: The losses ``(N, C)``.
    """
    check_choice('loss_per_target_class', 'loss_type', loss_type, LOSS_TYPES)
    if loss_type == 'softmax':
        return -F.log_softmax(cls_score, dim=1)
    # Per-logit BCE against 0 and against 1.
    neg = _bce_term(cls_score, loss_type, gamma, positive=False)
    pos = _bce_term(cls_score, loss_type, gamma, positive=True)
    # Every logit is a negative except the target's.
    return neg.sum(dim=1, keepdim=True) - neg + pos


def _bce_term(logits: torch.Tensor, loss_type: str, gamma: float,
              positive: bool) -> torch.Tensor:
    """Each logit's BCE against 1 (``positive``) or 0, times the focal
    factor for ``'focal'``."""
    signed = -logits if positive else logits
    bce = F.softplus(signed)
    if loss_type != 'focal' or gamma == 0:
        return bce
    # (1 - p_t)^gamma = sigmoid(+-z)^gamma, free of 1 - p cancellation.
    if gamma >= 1:
        # Accurate and much cheaper than exp(gamma * logsigmoid) on CPU.
        return bce * torch.sigmoid(signed).pow(gamma)
    # In log space, so that the gradient stays finite where sigmoid
    # underflows to 0 and gamma < 1.
    return bce * torch.exp(gamma * F.logsigmoid(signed))


def class_balanced_hard_loss(cls_score: torch.Tensor,
                             label: torch.Tensor,
                             loss_type: str = 'softmax',
                             gamma: float = 2.0) -> torch.Tensor:
    """``loss_per_target_class(cls_score, ...)`` at the labels, shape
    ``(N, )``, without the ``(N, C)`` matrix of every target class: the
    target's terms are gathered, the negatives' summed once."""
    if loss_type == 'softmax':
        return F.cross_entropy(cls_score, label, reduction='none')
    index = label.unsqueeze(1)
    target_logit = cls_score.gather(1, index).squeeze(1)
    neg = _bce_term(cls_score, loss_type, gamma, positive=False)
    return (neg.sum(dim=1) - neg.gather(1, index).squeeze(1) +
            _bce_term(target_logit, loss_type, gamma, positive=True))


@MODELS.register_module()
class ClassBalancedLoss(ClassCountsMixin, nn.Module):
    r"""Class-balanced loss (Cui et al., CVPR 2019).

    `Class-Balanced Loss Based on Effective Number of Samples
    <https://arxiv.org/abs/1901.05555>`_. Each sample's loss is weighted by
    the class-balanced weight of its class (:func:`class_balanced_weights`):

    - ``'softmax'``: softmax cross-entropy;
    - ``'sigmoid'``: binary cross-entropy of every logit against the one-hot
      target, summed over classes;
    - ``'focal'``: the same with each logit's BCE multiplied by the focal
      factor :math:`(1 - p_t)^\gamma`, :math:`p_t = \sigma(z)` for the
      target class and :math:`1 - \sigma(z)` otherwise (CB-focal).

    The ``'mean'`` reduction divides :math:`\sum_i w_{y_i} \ell_i` by the
    batch size ``N``, not by :math:`\sum_i w_{y_i}`, as Cui et al. define it
    (the weights already sum to ``C``). Soft targets ``q`` (Mixup/CutMix)
    give the mixup criterion :math:`\sum_c q_c w_c \ell(z, c)`, the expected
    hard-label loss; for one-hot targets it is the loss above.

    Args:
        loss_type (str): ``'softmax'``, ``'sigmoid'`` or ``'focal'``.
            Defaults to ``'softmax'``.
        weighting (str): ``'effective_number'`` or ``'inverse'``.
            Defaults to ``'effective_number'``.
        beta (float): :math:`\beta \in [0, 1)` of the effective number.
            Defaults to 0.9999.
        gamma (float): Focusing parameter of ``'focal'``. Defaults to 2.0.
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 loss_type: str = 'softmax',
                 weighting: str = 'effective_number',
                 beta: float = 0.9999,
                 gamma: float = 2.0,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'loss_type', loss_type, LOSS_TYPES)
        check_choice(name, 'weighting', weighting, WEIGHTINGS)
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.loss_type = loss_type
        self.weighting = weighting
        self.beta = check_number(
            name, 'beta', beta, 0, 1, high_inclusive=False)
        self.gamma = check_number(name, 'gamma', gamma, 0)
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('cb_weight', None, persistent=False)
        self.init_class_counts(class_counts)

    def class_counts_changed(self) -> None:
        """Recompute the class-balanced weights from the new counts."""
        weights = class_balanced_weights(self.class_counts.cpu(), self.beta,
                                         self.weighting)
        set_buffer(self, 'cb_weight', weights.float())

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
        class_weight = buffer_like(self, 'cb_weight', cls_score)
        if target is None:
            loss = class_weight[label] * class_balanced_hard_loss(
                cls_score, label, self.loss_type, self.gamma)
        else:
            per_class = loss_per_target_class(cls_score, self.loss_type,
                                              self.gamma)
            loss = (target * class_weight * per_class).sum(dim=1)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
