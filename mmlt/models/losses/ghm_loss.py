# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.distributed as dist
from mmpretrain.registry import MODELS
from torch import nn

from .sigmoid_cross_entropy import sigmoid_cross_entropy
from .utils import (check_choice, check_number, get_reduction, prepare_target,
                    reduce_loss)


def ghm_bin_index(grad_norm: torch.Tensor, bins: int) -> torch.Tensor:
    """The gradient-norm bin of every element (Li et al., AAAI 2019).

    The bins split ``[0, 1]`` uniformly; the last edge lies slightly above 1
    so that a gradient norm of exactly 1 falls in the last bin, i.e. bin
    ``k`` holds ``k / bins <= g < (k + 1) / bins`` and the last one also
    ``g = 1``.

    Args:
        grad_norm (torch.Tensor): Gradient norms ``g`` in ``[0, 1]``.
        bins (int): The number of bins.

    Returns:
        torch.Tensor: Bin indices in ``[0, bins)``, int64, shaped like
        ``grad_norm``.
    """
    # floor(g * bins) is the bin (g >= 0); g = 1 joins the last bin. Much
    # cheaper than searching the edges (torch.bucketize) on CPU. A NaN
    # (non-finite logits, whose step the AMP grad scaler skips) is put in
    # the last bin rather than cast to an arbitrary integer.
    index = torch.nan_to_num(grad_norm * bins, nan=bins).long()
    return index.clamp_(0, bins - 1)


def ghm_weights(bin_index: torch.Tensor, density: torch.Tensor,
                num_valid: torch.Tensor,
                num_valid_bins: torch.Tensor) -> torch.Tensor:
    r"""Gradient-harmonizing weights :math:`\beta = N / (GD(g) \cdot M)`.

    Args:
        bin_index (torch.Tensor): Bin of every element (int64).
        density (torch.Tensor): Number of elements (or its moving average)
            per bin, shape ``(bins, )``.
        num_valid (torch.Tensor): ``N``, the number of valid elements.
        num_valid_bins (torch.Tensor): ``M``, the number of non-empty bins.

    Returns:
        torch.Tensor: The weights, shaped like ``bin_index``.
    """
    # One weight per bin, then one look-up per element.
    per_bin = num_valid / (density * num_valid_bins)
    return per_bin.index_select(0, bin_index.flatten()).view_as(bin_index)


@MODELS.register_module()
class GHMCLoss(nn.Module):
    r"""Gradient harmonizing classification loss (GHM-C).

    `Gradient Harmonized Single-stage Detector
    <https://arxiv.org/abs/1811.05181>`_ (Li et al., AAAI 2019), on sigmoid
    outputs. For every logit the gradient norm is
    :math:`g = |\sigma(z) - y|` with ``y`` the (one-hot or soft) target;
    :math:`g` is binned uniformly on ``[0, 1]`` (:func:`ghm_bin_index`) and
    each logit's binary cross-entropy is weighted by
    :math:`\beta = N / (n_{bin} \cdot M)` (:func:`ghm_weights`), where ``N``
    is the number of logits (``batch * C``), :math:`n_{bin}` the number of
    logits in its bin and ``M`` the number of non-empty bins. The loss is
    :math:`\sum \beta \cdot \mathrm{BCE} / N`. The weights carry no
    gradient.

    With ``momentum`` :math:`m > 0`, :math:`n_{bin}` is replaced by a moving
    average updated at every training-mode call,
    :math:`a \leftarrow m a + (1 - m) n_{bin}` for all bins, starting from
    0; it is the persistent buffer ``acc_sum``, so it is saved with the
    model. Under distributed training the bin counts and ``N`` are summed
    over all ranks (``torch.distributed.all_reduce``) so the weights reflect
    the global batch; each rank's loss is still averaged over its own
    logits.

    Reduction: ``'none'`` returns the weighted element-wise losses
    ``(N, C)``; ``'mean'`` is the paper's :math:`\sum \beta \mathrm{BCE} /
    (N C)`; ``avg_factor`` counts samples, as mmpretrain's ``ClsHead``
    passes the batch size, so the sum is divided by ``avg_factor * C``.
    ``weight`` scales each sample's losses and does not change the binning.

    **Precision.** A logit alone in its bin gets :math:`\beta = N / M`,
    e.g. ~417k for iNaturalist's 8142 classes and a global batch of 512,
    far above float16's largest value (65504). The weights and the weighted
    losses are therefore computed in float32 whatever the logits' dtype
    (as autocast does for ``binary_cross_entropy_with_logits``); the loss
    is returned in float32 (float64 for float64 logits).

    Args:
        bins (int): The number of bins. Defaults to 10.
        momentum (float): Moving-average momentum of the bin counts in
            ``[0, 1)``; 0 uses the current batch only. Defaults to 0.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 bins: int = 10,
                 momentum: float = 0.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
            raise ValueError(f'{name}: `bins` must be a positive integer, '
                             f'got {bins!r}.')
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        self.bins = bins
        self.momentum = check_number(
            name, 'momentum', momentum, 0, 1, high_inclusive=False)
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('acc_sum', torch.zeros(bins))

    @torch.no_grad()
    def compute_weights(self, probs: torch.Tensor,
                        target: torch.Tensor) -> torch.Tensor:
        """The harmonizing weights of the logits, updating the moving
        average in training mode.

        Args:
            probs (torch.Tensor): The sigmoid of the logits ``(N, C)``.
            target (torch.Tensor): The targets ``(N, C)``.

        Returns:
            torch.Tensor: The weights ``(N, C)`` in float32.
        """
        grad_norm = (probs - target).abs_()
        bin_index = ghm_bin_index(grad_norm, self.bins)
        # index_add_ rather than bincount, which reads its input's maximum
        # back to the host on CUDA.
        flat = bin_index.flatten()
        counts = self.acc_sum.new_zeros(self.bins).index_add_(
            0, flat, torch.ones_like(flat, dtype=self.acc_sum.dtype))
        num_valid = counts.new_tensor(grad_norm.numel())
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(counts)
            dist.all_reduce(num_valid)
        density = counts
        if self.momentum > 0:
            density = self.momentum * self.acc_sum + \
                (1 - self.momentum) * counts
            if self.training:
                self.acc_sum.copy_(density)
        # float32 (acc_sum's dtype): N / M overflows float16.
        return ghm_weights(bin_index, density.float(), num_valid.float(),
                           (counts > 0).sum())

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
        # At least float32: the weights (up to N / M) overflow float16.
        logits = cls_score
        if logits.dtype not in (torch.float32, torch.float64):
            logits = logits.float()
        target, _ = prepare_target(name, logits, label)
        probs = logits.detach().sigmoid()
        ghm_weight = self.compute_weights(probs, target)
        loss = sigmoid_cross_entropy(logits, target, ghm_weight, probs)
        if avg_factor is not None:
            avg_factor = avg_factor * cls_score.size(1)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
