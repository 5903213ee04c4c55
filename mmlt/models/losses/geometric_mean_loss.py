# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .runtime_checks import check_on_all_ranks
from .utils import (check_choice, check_class_counts, check_finite_loss,
                    get_reduction, prepare_target)


def reweighted_log_softmax(cls_score: torch.Tensor,
                           class_counts: Optional[torch.Tensor] = None
                           ) -> torch.Tensor:
    r"""Log of the count-re-weighted softmax.

    :math:`\log \tilde p_j` with :math:`\tilde p_j = N_j e^{o_j} /
    \sum_c N_c e^{o_c}`, i.e. the log-softmax of :math:`o + \log N`; the
    plain log-softmax when ``class_counts`` is None.

    Args:
        cls_score (torch.Tensor): The logits :math:`o`, shape ``(N, C)``.
        class_counts (torch.Tensor, optional): Positive training count per
            class :math:`N_c`, shape ``(C, )``. Defaults to None.

    Returns:
        torch.Tensor: The log-probabilities ``(N, C)``.
    """
    if class_counts is not None:
        cls_score = cls_score + torch.log(class_counts.to(cls_score))
    return F.log_softmax(cls_score, dim=1)


def class_mean_log_prob(log_prob: torch.Tensor, membership: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
    r"""Log of each class's mean probability over its samples.

    :math:`\log \bar p_c` with :math:`\bar p_c = \sum_i a_{ic} p_{ic} /
    \sum_i a_{ic}`: for one-hot :math:`a` (hard labels), the mean of the
    probability of class :math:`c` over the samples of class :math:`c`.
    Computed in log space (a masked log-sum-exp), so tiny probabilities do
    not underflow to ``log 0``.

    Args:
        log_prob (torch.Tensor): Log-probabilities ``(N, C)``.
        membership (torch.Tensor): Non-negative weights :math:`a_{ic}` of
            sample :math:`i` in the mean of class :math:`c`, ``(N, C)``:
            one-hot labels, soft targets, optionally times per-sample
            weights.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: :math:`\log \bar p_c`, shape
        ``(C, )`` (0 for absent classes), and the mask of the classes present
        in the batch (total weight > 0), shape ``(C, )``.
    """
    mass = membership.sum(dim=0)
    present = mass > 0
    # log a_ic is -inf where a sample is not in a class: those entries drop
    # out of the log-sum-exp (and get no gradient).
    log_weighted = log_prob + torch.log(membership)
    # An absent class has only -inf entries: give it zeros, so neither the
    # value nor the gradient of the log-sum-exp turns into NaN.
    log_weighted = torch.where(present, log_weighted,
                               torch.zeros_like(log_weighted))
    log_sum = torch.logsumexp(log_weighted, dim=0)
    log_mass = torch.log(torch.where(present, mass, torch.ones_like(mass)))
    log_mean = torch.where(present, log_sum - log_mass,
                           torch.zeros_like(log_sum))
    return log_mean, present


def geometric_mean_loss(cls_score: torch.Tensor,
                        membership: torch.Tensor,
                        class_counts: Optional[torch.Tensor] = None,
                        reduction: str = 'mean') -> torch.Tensor:
    r"""The geometric mean loss (GML) of "No One Left Behind" (CVPR 2023).

    .. math:: L = -\frac{1}{|P|} \sum_{c \in P} \log \bar p_c

    with :math:`\bar p_c` the mean over the batch's samples of class
    :math:`c` of the (re-weighted) probability of that class
    (:func:`reweighted_log_softmax`, :func:`class_mean_log_prob`) and
    :math:`P` the classes present in the batch. :math:`\exp(-L)` is the
    geometric mean of the :math:`\bar p_c`, a smooth surrogate of the
    geometric mean of the per-class recalls.

    Classes without a sample in the batch have no :math:`\bar p_c` and are
    left out of the mean; a batch without samples gives 0.

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        membership (torch.Tensor): The weight of each sample in each class's
            mean ``(N, C)`` (see :func:`class_mean_log_prob`).
        class_counts (torch.Tensor, optional): Positive training counts
            ``(C, )`` for the re-weighting; None for the plain softmax.
            Defaults to None.
        reduction (str): ``'mean'`` over the present classes (the paper's)
            or ``'sum'``. Defaults to ``'mean'``.

    Returns:
        torch.Tensor: The scalar loss.
    """
    check_choice('geometric_mean_loss', 'reduction', reduction,
                 ('mean', 'sum'))
    log_prob = reweighted_log_softmax(cls_score, class_counts)
    log_mean, present = class_mean_log_prob(log_prob, membership)
    total = -log_mean.sum()  # absent classes contribute 0
    if reduction == 'sum':
        return total
    return total / present.sum().clamp(min=1)


@MODELS.register_module()
class GeometricMeanLoss(ClassCountsMixin, nn.Module):
    r"""Geometric mean loss (GML) of `No One Left Behind: Improving the
    Worst Categories in Long-Tailed Learning
    <https://arxiv.org/abs/2303.03630>`_ (Du and Wu, CVPR 2023).

    .. math:: L = -\frac{1}{C} \sum_{c=1}^{C} \log \bar p_c, \qquad
              \bar p_c = \frac{1}{n_c} \sum_{i: y_i = c} \tilde p^i_{c},
              \qquad \tilde p^i_j = \frac{N_j e^{o^i_j}}
              {\sum_k N_k e^{o^i_k}}

    where :math:`n_c` is the number of samples of class :math:`c` in the
    batch and :math:`N_j` the training count (see
    :func:`geometric_mean_loss`). Minimising it maximises the geometric mean
    of the per-class mean probabilities, a surrogate of the geometric mean
    of the per-class recalls, which a single badly recognised class drags
    down. The loss is a batch statistic, not a sum of per-sample terms.

    - **Absent classes.** A class without a sample in the batch has no
      :math:`\bar p_c`: the mean runs over the classes present in the batch
      (:math:`C` is their number).
    - **Re-weighting.** With ``reweight=True`` the probabilities are
      re-weighted by the training counts (the logits are shifted by
      :math:`\log N` in training only; the model predicts with the raw
      logits). ``reweight=False`` uses the plain softmax (the ablation of
      the paper's Table 8) and needs no counts.
    - **Soft targets** (Mixup/CutMix) :math:`q` weight each sample's
      probability of class :math:`c` by :math:`q_{ic}` in
      :math:`\bar p_c`; per-sample ``weight`` multiplies these weights.
    - **Distributed training.** Each process averages over its own batch;
      the class means are not gathered across processes.

    The paper fine-tunes a re-initialised classifier on a frozen backbone
    with it (``configs/gml/``), or trains from scratch.

    Args:
        reweight (bool): Whether to re-weight the softmax by the training
            counts. Defaults to True.
        class_counts (Sequence[int], optional): Positive training count per
            class (a zero count is an error when ``reweight=True``).
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'mean'`` over the present classes, or ``'sum'``
            over them. There is no per-sample (``'none'``) form.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 reweight: bool = True,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        check_choice(
            type(self).__name__, 'reduction', reduction, ('mean', 'sum'))
        self.reweight = bool(reweight)
        self.loss_weight = loss_weight
        self.reduction = reduction
        # Without re-weighting the counts are not used: no need to forbid a
        # class without training images.
        self.class_counts_allow_zero = not self.reweight
        self.init_class_counts(class_counts)

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
            weight (torch.Tensor, optional): Non-negative per-sample weights
                ``(N, )`` in the class means. Defaults to None.
            avg_factor (float, optional): Ignored: the loss averages over
                classes, not samples (mmpretrain's heads pass the batch
                size). Defaults to None.
            reduction_override (str, optional): Overrides ``reduction``
                (``'mean'`` or ``'sum'``). Defaults to None.

        Returns:
            torch.Tensor: The loss.
        """
        name = type(self).__name__
        reduction = get_reduction(name, self.reduction, reduction_override)
        check_choice(name, 'reduction_override', reduction, ('mean', 'sum'))
        membership, _ = prepare_target(name, cls_score, label)
        if weight is not None:
            if weight.shape != (cls_score.size(0), ):
                raise ValueError(f'{name}: `weight` must be one weight per '
                                 f'sample, shape ({cls_score.size(0)}, ), '
                                 f'got {tuple(weight.shape)}.')
            membership = membership * weight.to(membership).unsqueeze(1)
        check_on_all_ranks((membership < 0).any(),
                           f'{name}: targets and `weight` must be '
                           f'non-negative.')
        counts = None
        if self.reweight:
            check_class_counts(self, cls_score)
            counts = self.get_class_counts(device=cls_score.device)
        loss = geometric_mean_loss(cls_score, membership, counts, reduction)
        check_finite_loss(
            name, loss, 'the loss',
            'the input logits contain inf/NaN (diverged training?).')
        return self.loss_weight * loss
