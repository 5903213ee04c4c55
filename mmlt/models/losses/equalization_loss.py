# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from mmlt.utils.rank_random import rank_generator
from .runtime_checks import has_data
from .utils import (buffer_like, check_choice, check_class_counts,
                    check_number, get_reduction, read_target, reduce_loss,
                    set_buffer)


def equalization_tail_mask(class_counts: CountsLike,
                           lambda_: float) -> torch.Tensor:
    r"""Which classes are tail classes, :math:`T_\lambda(f_j) = [f_j <
    \lambda]`, with :math:`f_j = n_j / \sum_k n_k` the class frequency.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Training count per
            class, shape ``(C, )``.
        lambda_ (float): The frequency threshold :math:`\lambda`.

    Returns:
        torch.Tensor: Boolean mask ``(C, )``, True for tail classes.
    """
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    total = counts.sum()
    if total <= 0:
        raise ValueError('equalization_tail_mask: class_counts sum to 0; the '
                         'class frequencies are undefined.')
    return counts / total < lambda_


def equalization_weights(label: torch.Tensor, tail_mask: torch.Tensor,
                         drop: torch.Tensor) -> torch.Tensor:
    r"""The softmax equalization weights
    :math:`\tilde w_j = 1 - \beta T_\lambda(f_j) (1 - y_j)`, which are 0
    or 1, as the boolean mask of the logits they remove (weight 0): the
    dropped tail classes other than the target.

    Args:
        label (torch.Tensor): Class indices ``y``, shape ``(N, )``.
        tail_mask (torch.Tensor): :math:`T_\lambda(f)`, boolean ``(C, )``.
        drop (torch.Tensor): :math:`\beta \in \{0, 1\}`, boolean
            ``(N, C)``.

    Returns:
        torch.Tensor: Boolean ``(N, C)``, True where :math:`\tilde w_j = 0`.
    """
    removed = drop & tail_mask
    return removed.scatter_(1, label.unsqueeze(1), False)


def softmax_equalization_loss(cls_score: torch.Tensor, label: torch.Tensor,
                              removed: torch.Tensor) -> torch.Tensor:
    r"""Per-sample softmax equalization loss
    :math:`-\log(e^{z_y} / \sum_j \tilde w_j e^{z_j})`.

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        label (torch.Tensor): Class indices ``(N, )``.
        removed (torch.Tensor): Where :math:`\tilde w_j = 0`
            (:func:`equalization_weights`), boolean ``(N, C)``; never the
            target.

    Returns:
        torch.Tensor: The losses ``(N, )``.
    """
    # A -inf logit leaves the log-sum-exp of the cross-entropy exactly.
    return F.cross_entropy(
        cls_score.masked_fill(removed, float('-inf')), label, reduction='none')


@MODELS.register_module()
class EqualizationLoss(ClassCountsMixin, nn.Module):
    r"""Softmax equalization loss (Tan et al., CVPR 2020).

    `Equalization Loss for Long-Tailed Object Recognition
    <https://arxiv.org/abs/2003.05176>`_, the softmax version for image
    classification:

    .. math:: \ell = -\log \frac{e^{z_y}}{\sum_j \tilde w_j e^{z_j}},
              \quad \tilde w_j = 1 - \beta T_\lambda(f_j) (1 - y_j),

    where :math:`T_\lambda(f_j) = 1` for a tail class (frequency
    :math:`f_j = n_j / \sum_k n_k < \lambda`) and :math:`\beta` is drawn from
    Bernoulli(:math:`\gamma`) for every sample and class. A tail class's
    logit thus leaves the denominator of a sample of another class with
    probability :math:`\gamma`, which spares rare classes most of the
    discouraging gradients of frequent ones. In eval mode nothing is
    dropped and the loss is the cross-entropy. Needs hard labels.

    **Random draws.** mmengine seeds every rank alike (the samplers need
    it), so the global RNG would give every rank the same masks. The draws
    come instead from a per-rank stream,
    :func:`~mmlt.utils.rank_random.rank_generator` seeded by the run's seed
    (``torch.initial_seed()`` when the loss is built, after mmengine seeded),
    the rank and a draw counter. Seed and counter are persistent buffers
    (``rng_seed``, ``rng_step``), so a resumed run draws what the
    uninterrupted run would have drawn; the loss keeps host copies of them,
    so drawing reads nothing back from the device.

    Args:
        lambda_ (float): The frequency threshold :math:`\lambda`, e.g.
            1.76e-3 on ImageNet-LT (the paper); for datasets with few classes
            pick one between the head and tail frequencies.
            Defaults to 1.76e-3.
        gamma (float): The drop probability :math:`\gamma \in [0, 1]`.
            Defaults to 0.9 (the paper on ImageNet-LT).
        class_counts (Sequence[int], optional): Training count per class
            (zeros allowed). Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    # A class without images is simply a tail class.
    class_counts_allow_zero = True

    def __init__(self,
                 lambda_: float = 1.76e-3,
                 gamma: float = 0.9,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.lambda_ = check_number(name, 'lambda_', lambda_, 0)
        self.gamma = check_number(name, 'gamma', gamma, 0, 1)
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('tail_mask', None, persistent=False)
        # Seeds are 63-bit so they fit an int64 buffer.
        self._rng_seed = torch.initial_seed() % (1 << 63)
        self._rng_step = 0
        self.register_buffer('rng_seed', torch.tensor(self._rng_seed))
        self.register_buffer('rng_step', torch.tensor(0))
        self.init_class_counts(class_counts)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        if not has_data(self.rng_step):
            return
        # One read at load time refreshes the host copies of the stream.
        self._rng_seed = int(self.rng_seed)
        self._rng_step = int(self.rng_step)

    def class_counts_changed(self) -> None:
        """Recompute which classes are tail classes."""
        set_buffer(
            self, 'tail_mask',
            equalization_tail_mask(self.class_counts.cpu(), self.lambda_))

    def _draw_drops(self, cls_score: torch.Tensor) -> torch.Tensor:
        """The Bernoulli(gamma) draws as a boolean ``(N, C)`` mask, from
        this rank's stream at the next draw number."""
        # Tensors without data (meta, fake CUDA) take a CPU generator: a
        # fake tensor ignores it, and CUDA generators need a real GPU.
        device = cls_score.device if has_data(cls_score) else 'cpu'
        generator = rank_generator(self._rng_seed, self._rng_step, device)
        self._rng_step += 1
        # A host value filled in on the device: no read back.
        self.rng_step.fill_(self._rng_step)
        # u < gamma in float32 whatever the logits' dtype: Bernoulli(gamma)
        # without the tensor of probabilities.
        uniform = torch.rand(
            cls_score.shape,
            generator=generator,
            device=cls_score.device,
            dtype=torch.float32)
        return uniform < self.gamma

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
            avg_factor (float, optional): Divisor for ``'mean'``.
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
        if self.training:
            # beta_ij ~ Bernoulli(gamma), drawn for every sample and class.
            drop = self._draw_drops(cls_score.detach())
            removed = equalization_weights(
                label,
                buffer_like(self, 'tail_mask', cls_score) > 0, drop)
            loss = softmax_equalization_loss(cls_score, label, removed)
        else:
            loss = F.cross_entropy(cls_score, label, reduction='none')
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
