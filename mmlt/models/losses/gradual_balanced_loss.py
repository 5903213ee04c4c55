# Copyright (c) mmlt contributors. All rights reserved.
import logging
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .logit_adjusted_loss import logit_adjustment
from .runtime_checks import has_data
from .utils import (buffer_like, check_choice, check_class_counts,
                    check_finite, check_finite_loss, check_number,
                    get_reduction, read_target, reduce_loss, set_buffer)


@MODELS.register_module()
class GradualBalancedLoss(ClassCountsMixin, nn.Module):
    r"""Gradual Balanced Loss (GraLoss) of GLAG (Zhang & Xiang, 2022).

    `Long-Tailed Classification with Gradual Balanced Loss and Adaptive
    Feature Generation <https://arxiv.org/abs/2203.00452>`_: the
    logit-adjusted cross-entropy (Menon et al., ICLR 2021) whose strength
    :math:`\tau` is not fixed but rises during training,

    .. math:: \ell_t = -\log \frac{e^{z_y + \tau(t) \log \pi_y}}
              {\sum_j e^{z_j + \tau(t) \log \pi_j}},
              \qquad \tau(t) = \tau_{final}\, s(t/T),

    with :math:`\pi` the training class prior and :math:`s` the
    :func:`~mmlt.models.utils.gradual_schedule` (0 at the start, 1 at the
    end). The network first learns from the head classes like plain
    cross-entropy (:math:`\tau = 0`) and is pushed towards the tail as
    :math:`\tau` grows; at :math:`\tau = 1` the loss is the balanced softmax
    (:class:`BalancedSoftmaxLoss`).

    The loss only holds the current :math:`\tau`;
    :class:`~mmlt.engine.hooks.GradualScheduleHook` sets it from the epoch or
    iteration (``tau = tau_final * gradual_schedule(t / T)``). ``tau`` is a
    persistent buffer, so checkpoints record the value a model was trained
    with. Without the hook ``tau`` keeps its initial value (a warning says
    so at the first training step). The adjustment applies to training
    only; the model predicts with the raw logits. Soft targets ``q``
    (Mixup/CutMix) give :math:`-\sum_c q_c \log \mathrm{softmax}(z + \tau
    \log \pi)_c`.

    Args:
        tau_final (float): The final strength :math:`\tau_{final} \ge 0`,
            reached at the end of the schedule. Defaults to 1.0 (the
            balanced softmax, as in the paper).
        tau (float): The initial (current) strength. Defaults to 0.0 (the
            schedule's start: plain cross-entropy).
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 tau_final: float = 1.0,
                 tau: float = 0.0,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.tau_final = check_number(name, 'tau_final', tau_final, low=0.0)
        self.loss_weight = check_number(name, 'loss_weight', loss_weight)
        self.reduction = reduction
        # The current tau: persistent, so a checkpoint says how the model
        # was trained; the schedule hook overwrites it from the epoch/iter.
        self.register_buffer(
            'tau',
            torch.tensor(check_number(name, 'tau', tau), dtype=torch.float32))
        # log(prior), i.e. the adjustment at tau = 1; derived from the
        # counts, which the checkpoint meta already holds.
        self.register_buffer('log_prior', None, persistent=False)
        self._scheduled = False
        self._warned_unscheduled = False
        self.init_class_counts(class_counts)

    def set_tau(self, value: float) -> None:
        """Set the current strength :math:`\\tau` (called by the schedule
        hook).

        Args:
            value (float): The new :math:`\\tau`, a finite number.
        """
        value = check_number(type(self).__name__, 'tau', value)
        # In place: keeps the buffer's device and the state-dict entry.
        with torch.no_grad():
            self.tau.fill_(value)
        self._scheduled = True

    def class_counts_changed(self) -> None:
        """Recompute :math:`\\log \\pi` from the new counts."""
        log_prior = logit_adjustment(self.class_counts.cpu(), 1.0).float()
        # Fail when the counts arrive rather than at the first step.
        check_finite(
            type(self).__name__, log_prior, 'the log class priors (in '
            'float32)', 'check the class counts.')
        set_buffer(self, 'log_prior', log_prior)

    def _warn_unscheduled(self) -> None:
        if (self._scheduled or self._warned_unscheduled
                or not has_data(self.tau)):
            return
        self._warned_unscheduled = True
        if float(self.tau) != self.tau_final:
            print_log(
                f'{type(self).__name__}: training with tau={float(self.tau)}'
                f' that no schedule sets (tau_final={self.tau_final}); add '
                f'dict(type=\'GradualScheduleHook\') to custom_hooks to '
                f'raise tau during training.',
                logger='current',
                level=logging.WARNING)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss with the current :math:`\\tau`.

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
        if self.training:
            self._warn_unscheduled()
        reduction = get_reduction(name, self.reduction, reduction_override)
        label, target = read_target(name, cls_score, label)
        check_class_counts(self, cls_score)
        tau = self.tau.to(device=cls_score.device, dtype=cls_score.dtype)
        logits = cls_score + tau * buffer_like(self, 'log_prior', cls_score)
        # -sum_c q_c log softmax(z + tau log pi)_c, a gather for hard labels.
        loss = F.cross_entropy(
            logits, label if target is None else target, reduction='none')
        check_finite_loss(
            name, loss, 'the adjusted logits z + tau * log(prior)',
            f'lower `tau_final` (={self.tau_final}) or check the input '
            f'logits for inf/NaN.')
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
