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

SHAPES = ('concave', 'linear', 'convex', 'exponential')


def label_aware_smoothing(class_counts: CountsLike,
                          smooth_head: float = 0.3,
                          smooth_tail: float = 0.0,
                          shape: str = 'concave',
                          power: Optional[float] = None) -> torch.Tensor:
    r"""Per-class smoothing factors of MiSLAS (Zhong et al., CVPR 2021).

    With :math:`\epsilon_1` = ``smooth_head`` for the class with the most
    images :math:`N_1`, :math:`\epsilon_K` = ``smooth_tail`` for the one with
    the fewest :math:`N_K`, and :math:`r_j = (N_j - N_K) / (N_1 - N_K)`:

    - concave: :math:`\epsilon_K + (\epsilon_1 - \epsilon_K)
      \sin(\frac{\pi}{2} r_j)`;
    - linear: :math:`\epsilon_K + (\epsilon_1 - \epsilon_K) r_j`;
    - convex: :math:`\epsilon_1 + (\epsilon_1 - \epsilon_K)
      \sin(\frac{3\pi}{2} + \frac{\pi}{2} r_j)`;
    - exponential: :math:`\epsilon_K + (\epsilon_1 - \epsilon_K) r_j^p`.

    When all classes have the same count there is no tail and every class
    gets ``smooth_head`` (:math:`r_j = 1`).

    Args:
        class_counts (Sequence[int] | torch.Tensor): Training count per
            class, shape ``(C, )``.
        smooth_head (float): :math:`\epsilon_1`. Defaults to 0.3.
        smooth_tail (float): :math:`\epsilon_K`. Defaults to 0.0.
        shape (str): ``'concave'``, ``'linear'``, ``'convex'`` or
            ``'exponential'``. Defaults to ``'concave'``.
        power (float, optional): :math:`p` of ``'exponential'``.
            Defaults to None.

    Returns:
        torch.Tensor: The smoothing factors ``(C, )``, float64.
    """
    check_choice('label_aware_smoothing', 'shape', shape, SHAPES)
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    n_max, n_min = counts.max(), counts.min()
    if n_max > n_min:
        ratio = (counts - n_min) / (n_max - n_min)
    else:
        ratio = torch.ones_like(counts)
    head, tail = smooth_head, smooth_tail
    if shape == 'concave':
        return tail + (head - tail) * torch.sin(math.pi / 2 * ratio)
    if shape == 'linear':
        return tail + (head - tail) * ratio
    if shape == 'convex':
        return head + (head - tail) * torch.sin(1.5 * math.pi +
                                                math.pi / 2 * ratio)
    if power is None:
        raise ValueError('label_aware_smoothing: shape="exponential" needs '
                         '`power`.')
    return tail + (head - tail) * ratio.pow(power)


def label_aware_smoothed_targets(target: torch.Tensor,
                                 smoothing: torch.Tensor) -> torch.Tensor:
    r"""Smooth targets with the smoothing factor of their class.

    A one-hot target of class ``y`` becomes :math:`q_i = 1 - \epsilon_y` for
    :math:`i = y` and :math:`\epsilon_y / (C - 1)` otherwise. A soft target
    is the same mixture of its classes' smoothed targets (the targets are
    linear in the one-hot vector).

    Args:
        target (torch.Tensor): One-hot or soft targets ``(N, C)``.
        smoothing (torch.Tensor): Per-class factors :math:`\epsilon`,
            shape ``(C, )``.

    Returns:
        torch.Tensor: The smoothed targets ``(N, C)``.
    """
    num_classes = target.size(1)
    if num_classes < 2:
        raise ValueError('label_aware_smoothed_targets: smoothing needs at '
                         'least 2 classes.')
    smoothing = smoothing.to(target)
    kept = target * (1 - smoothing)
    spread = target * smoothing
    # Each class's mass eps_c is spread over the other C - 1 classes.
    others = (spread.sum(dim=1, keepdim=True) - spread) / (num_classes - 1)
    return kept + others


@MODELS.register_module()
class LabelAwareSmoothingLoss(ClassCountsMixin, nn.Module):
    r"""Label-aware smoothing loss of MiSLAS (Zhong et al., CVPR 2021).

    `Improving Calibration for Long-Tailed Recognition
    <https://arxiv.org/abs/2104.00466>`_: cross-entropy against targets
    smoothed with a per-class factor :math:`\epsilon_y`
    (:func:`label_aware_smoothing`), large for head classes and small for
    tail classes, :math:`\ell = -\sum_i q_i \log \mathrm{softmax}(z)_i` with
    :math:`q_i = 1 - \epsilon_y` if :math:`i = y` else
    :math:`\epsilon_y / (C - 1)` (:func:`label_aware_smoothed_targets`).
    Soft targets (Mixup/CutMix) are smoothed as mixtures of their classes'
    smoothed targets.

    Args:
        smooth_head (float): :math:`\epsilon_1` of the most frequent class,
            in ``[0, 1]``. Defaults to 0.3.
        smooth_tail (float): :math:`\epsilon_K` of the rarest class, in
            ``[0, 1]``. Defaults to 0.0.
        shape (str): How :math:`\epsilon` goes from tail to head:
            ``'concave'``, ``'linear'``, ``'convex'`` or ``'exponential'``.
            Defaults to ``'concave'``.
        power (float, optional): The exponent :math:`p > 0` of
            ``'exponential'`` (required there, not allowed otherwise).
            Defaults to None.
        class_counts (Sequence[int], optional): Training count per class
            (zeros allowed). Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    # The factors only interpolate between the extreme counts.
    class_counts_allow_zero = True

    def __init__(self,
                 smooth_head: float = 0.3,
                 smooth_tail: float = 0.0,
                 shape: str = 'concave',
                 power: Optional[float] = None,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'shape', shape, SHAPES)
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.smooth_head = check_number(name, 'smooth_head', smooth_head, 0, 1)
        self.smooth_tail = check_number(name, 'smooth_tail', smooth_tail, 0, 1)
        if shape == 'exponential':
            if power is None:
                raise ValueError(f'{name}: shape="exponential" needs '
                                 f'`power` (the exponent p > 0), e.g. '
                                 f'power=2.0.')
            power = check_number(name, 'power', power, 0, low_inclusive=False)
        elif power is not None:
            raise ValueError(f'{name}: `power` is only used by '
                             f'shape="exponential", got shape={shape!r}; '
                             f'remove `power` or change `shape`.')
        self.shape = shape
        self.power = power
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('smoothing', None, persistent=False)
        self.init_class_counts(class_counts)

    def class_counts_changed(self) -> None:
        """Recompute the per-class smoothing factors."""
        set_buffer(
            self, 'smoothing',
            label_aware_smoothing(self.class_counts.cpu(), self.smooth_head,
                                  self.smooth_tail, self.shape,
                                  self.power).float())

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
        num_classes = cls_score.size(1)
        if num_classes < 2:
            raise ValueError(f'{name}: label smoothing needs at least 2 '
                             f'classes, got cls_score of shape '
                             f'{tuple(cls_score.shape)}.')
        smoothing = buffer_like(self, 'smoothing', cls_score)
        log_prob = F.log_softmax(cls_score, dim=1)
        if target is None:
            # The smoothed target of class y is 1 - eps_y at y and
            # eps_y / (C - 1) elsewhere, so without an (N, C) target:
            # -(1 - eps_y - eps_y / (C - 1)) log p_y
            #     - eps_y / (C - 1) * sum_j log p_j.
            eps = smoothing[label]
            spread = eps / (num_classes - 1)
            log_p_y = log_prob.gather(1, label.unsqueeze(1)).squeeze(1)
            loss = -(1 - eps - spread) * log_p_y - \
                spread * log_prob.sum(dim=1)
        else:
            smoothed = label_aware_smoothed_targets(target, smoothing)
            loss = -(smoothed * log_prob).sum(dim=1)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
