# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .category_ghm import (accumulate_histogram, adaptive_bin_index,
                           adaptive_edges, category_ghm_weights,
                           category_histogram, margin_logits, rebin_histogram,
                           uniform_edges)
from .ghm_loss import ghm_bin_index
from .utils import (buffer_like, check_choice, check_class_counts,
                    check_finite, check_finite_loss, check_num_classes,
                    check_number, get_reduction, read_target, reduce_loss,
                    set_buffer)

_LOGITS_HINT = ('check the input logits for inf/NaN (diverged training?).')


@MODELS.register_module()
class CategoryGHMLoss(ClassCountsMixin, nn.Module):
    r"""Category-wise GHM loss with inter-category margins.

    `Solving the Long-Tailed Problem via Intra- and Inter-Category Balance`
    (category-wise GHM; Zhang, Lin, Zhang and Xu, ICASSP 2022):

    .. math:: \ell_i = -W_{y_i, i} \log \frac{e^{z_{y_i}}}
              {\sum_n e^{z_n + M_{y_i, n}}}, \qquad
              M_{c_1, c_2} = \gamma \log \min(1, S_{c_2} / S_{c_1}),

    with :math:`S_c` the training count of category ``c``. The switches map
    onto the paper's ablation (its Table 3): ``inter`` is "R" (the margins,
    :func:`~mmlt.models.losses.category_ghm.margin_logits`; only the rows
    of the batch's labels are used, never the ``C x C`` matrix), ``intra``
    is "A" (the weights :math:`W`), and ``density`` picks "U" (URA, uniform
    bins) or "AU" (AURA, adaptive bins). Both off is the softmax
    cross-entropy.

    Intra-category weights. The gradient norm of a sample is
    :math:`g = 1 - \tilde p_y`, the magnitude of the gradient of its own
    (margin) cross-entropy with respect to its target logit. Every category
    keeps a histogram of ``g`` over ``bins`` bins (the persistent buffer
    ``hist``, ``(C, bins)``), a moving average with ``momentum`` over the
    batches that contain the category
    (:func:`~mmlt.models.losses.category_ghm.accumulate_histogram`). The
    weight of a sample is the inverse gradient density of its bin in its
    category's accumulated histogram, smoothed by a uniform prior of
    ``smoothing`` (:math:`\rho`) times the category's mean density, and
    scaled so that the category's weights average to 1 over that histogram
    (:func:`~mmlt.models.losses.category_ghm.category_ghm_weights`). So,
    as the paper describes, the intra term emphasises a category's hard
    samples and reduces its easy ones and dense outliers, but does not
    re-weight categories against each other on average. The weights depend
    on the accumulated histograms only, not on the batch's composition:
    their strength is the same with 10 classes in a batch of 128 as with
    1,000 classes in a batch of 512. No weight exceeds :math:`1 + 1/\rho`
    (1.125 at the default 8), whatever the history, and no bin's mass is
    ever inverted, so a bin that decayed to 0 cannot make a category's
    weights inf/NaN. :math:`\rho \to 0` approaches GHM-C's
    :math:`N / (GD \cdot M)` (Li et al., AAAI 2019) on each category's
    accumulated histogram; :math:`\rho \to \infty` is the plain loss. The
    weights carry no gradient.

    Accumulation rule (``accumulate``). ``'category'`` (the default) moves
    every bin of a category present in the batch, so ``hist`` estimates
    the category's distribution of ``g``, the quantity whose inverse the
    weights are. GHM-C's rule, ``'bin'``, moves only the bins that received
    samples; a bin's mass is then its average count in the batches that
    hit it, which depends on how many samples of the category a batch
    holds (with one sample a batch, every bin hit converges to mass 1 and
    the weights flatten): not the default, for that reason, but available.

    Adaptive precision (``density='adaptive'``). Each category has its own
    edges (the persistent buffer ``edges``, ``(C, bins + 1)``, uniform at the
    start). After every training step they move to the equal-mass quantiles
    of the category's accumulated histogram
    (:func:`~mmlt.models.losses.category_ghm.adaptive_edges`), and the
    histogram is re-binned onto them; the bins are thus fine where the
    category's gradient norms are dense, which is where the density varies
    most. See that function for the rule and why.

    Decisions where the paper is silent: ``gamma = 0.8`` (the paper's "R"
    row equals its Seesaw row, and the margin is Seesaw's mitigation factor
    :math:`(S_n / S_m)^p` in log form, whose default is ``p = 0.8``);
    ``bins = 10`` (GHM-C's default); ``momentum = 0.9`` (GHM's 0.75 assumes
    many samples a batch; a tail category brings one or two); ``g`` is
    measured on the margin logits when ``inter`` is on, since those are the
    loss being trained; ``smoothing = 8`` was chosen on the development
    split of Fashion-MNIST-LT (0.1, 0.5, 2, 4 and 8 tried; the milder the
    better, 8 tying plain cross-entropy: see the Fashion-MNIST-LT config of
    the full method).

    State and distributed training. The histograms (and edges) are updated
    in training mode only; in eval mode the batch is folded in for the
    weights without being stored. Under distributed training the batch
    histograms are summed over the ranks (``all_reduce``, training mode) so
    that all ranks hold the same state and the same weights; each rank's
    loss is averaged over its own samples. Both buffers are in the state
    dict, so checkpoints save and resume them.

    Reduction: ``'mean'`` divides the weighted sum by the batch size (or
    ``avg_factor``, a number of samples as mmpretrain's ``ClsHead`` passes);
    the weights average to 1 per category in expectation, not exactly in
    each batch. A non-finite weighted loss raises an error that names its
    cause (the logits or the stored histograms). Needs hard labels.

    Args:
        num_classes (int, optional): ``C``; required with ``intra`` (the
            histograms are ``(C, bins)`` buffers). Defaults to None.
        inter (bool): Add the inter-category margins ("R"). Defaults to True.
        gamma (float): Margin strength :math:`\gamma \ge 0`. Defaults to 0.8.
        intra (bool): Weight samples within their category ("A").
            Defaults to True.
        density (str): ``'uniform'`` (URA) or ``'adaptive'`` (AURA) bins.
            Defaults to ``'adaptive'``.
        bins (int): Bins per category, at least 2. Defaults to 10.
        momentum (float): Moving-average momentum in ``[0, 1)``; 0 uses the
            current batch only. Defaults to 0.9.
        smoothing (float): :math:`\rho > 0`, the strength of the uniform
            prior on the density; smaller is stronger, every weight is at
            most :math:`1 + 1/\rho`. Defaults to 8.0.
        accumulate (str): ``'category'`` or ``'bin'`` (GHM-C's rule), see
            above. Defaults to ``'category'``.
        class_counts (Sequence[int], optional): Training count per class
            (used by ``inter``). Defaults to None (set by
            ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
    """

    def __init__(self,
                 num_classes: Optional[int] = None,
                 inter: bool = True,
                 gamma: float = 0.8,
                 intra: bool = True,
                 density: str = 'adaptive',
                 bins: int = 10,
                 momentum: float = 0.9,
                 smoothing: float = 8.0,
                 accumulate: str = 'category',
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean'):
        super().__init__()
        name = type(self).__name__
        for arg, value in (('inter', inter), ('intra', intra)):
            if not isinstance(value, bool):
                raise TypeError(f'{name}: `{arg}` must be True or False, '
                                f'got {value!r}.')
        check_choice(name, 'density', density, ('uniform', 'adaptive'))
        check_choice(name, 'accumulate', accumulate, ('category', 'bin'))
        check_choice(name, 'reduction', reduction, ('none', 'mean', 'sum'))
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f'{name}: `bins` must be an integer >= 2 (one '
                             f'bin cannot tell easy from hard samples), got '
                             f'{bins!r}.')
        if num_classes is not None and (isinstance(num_classes, bool)
                                        or not isinstance(num_classes, int)
                                        or num_classes < 1):
            raise ValueError(f'{name}: `num_classes` must be a positive '
                             f'integer, got {num_classes!r}.')
        if intra and num_classes is None:
            raise ValueError(
                f'{name}: `num_classes` is required with intra=True (the '
                f'per-category histograms are (num_classes, bins) buffers); '
                f'set it to the head\'s num_classes.')
        self.inter = inter
        self.gamma = check_number(name, 'gamma', gamma, 0)
        self.intra = intra
        self.density = density
        self.bins = bins
        self.momentum = check_number(
            name, 'momentum', momentum, 0, 1, high_inclusive=False)
        self.smoothing = check_number(
            name, 'smoothing', smoothing, 0, low_inclusive=False)
        self.accumulate = accumulate
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.reduction = reduction
        if intra:
            self.register_buffer('hist', torch.zeros(num_classes, bins))
            if density == 'adaptive':
                self.register_buffer('edges', uniform_edges(bins, num_classes))
        self.register_buffer('scaled_log_counts', None, persistent=False)
        self.init_class_counts(class_counts, num_classes)

    def class_counts_changed(self) -> None:
        """Recompute :math:`\\gamma \\log S_c` from the new counts."""
        # Kept in float64 (C numbers) and cast to the logits' dtype.
        scaled = self.gamma * self.class_counts.double().log()
        # Fail when the counts arrive rather than at the first step.
        check_finite(
            type(self).__name__, scaled.float(), 'gamma * log(class_counts) '
            '(in float32)', f'lower `gamma` (={self.gamma}).')
        set_buffer(self, 'scaled_log_counts', scaled)

    @torch.no_grad()
    def intra_weights(self, loss: torch.Tensor,
                      label: torch.Tensor) -> torch.Tensor:
        """The intra-category weights, updating the state in training mode.

        Args:
            loss (torch.Tensor): The unweighted per-sample losses ``(N, )``
                (:math:`-\\log \\tilde p_y`).
            label (torch.Tensor): Class indices ``(N, )``.

        Returns:
            torch.Tensor: The weights ``(N, )`` in float32.
        """
        hist = self.hist
        # 1 - p_y from the loss itself: no extra pass over the logits. A
        # non-finite loss (bad logits) counts as g = 1 here, so its bin
        # index is valid; `forward` then raises on it.
        grad_norm = (-torch.expm1(-loss.float())).nan_to_num_(1.0).clamp_(0, 1)
        if self.density == 'adaptive':
            edges = self.edges
            bin_index = adaptive_bin_index(grad_norm, label, edges)
        else:
            edges = None
            bin_index = ghm_bin_index(grad_norm, self.bins)
        counts = category_histogram(label, bin_index, self.num_classes,
                                    self.bins).to(hist)
        if self.training and dist.is_available() and dist.is_initialized():
            dist.all_reduce(counts)
        # Every category's row, with a mask of those in the (global) batch:
        # selecting the rows instead (nonzero) would read the batch back to
        # the host every step; (C, bins) is small (81k numbers at
        # iNaturalist's 8,142 classes).
        present = counts.sum(dim=1, keepdim=True) > 0
        mass = accumulate_histogram(hist, counts, self.momentum,
                                    self.accumulate)
        widths = None if edges is None else edges.diff(dim=1)
        weights = category_ghm_weights(label, bin_index, mass, widths,
                                       self.smoothing)
        if self.training:
            if edges is not None:
                new_edges = adaptive_edges(edges, mass)
                mass = rebin_histogram(mass, edges, new_edges)
                # Categories absent from the batch keep their edges.
                self.edges.copy_(torch.where(present, new_edges, edges))
            hist.copy_(torch.where(present, mass, hist))
        return weights

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
            weight (torch.Tensor, optional): Per-sample weights ``(N, )``;
                they scale the losses, not the statistics. Defaults to None.
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
        if self.num_classes is not None:
            check_num_classes(name, cls_score, self.num_classes, 'num_classes')
        logits = cls_score
        if self.inter:
            check_class_counts(self, cls_score)
            logits = margin_logits(
                cls_score, label,
                buffer_like(self, 'scaled_log_counts', cls_score))
        loss = F.cross_entropy(logits, label, reduction='none')
        if self.intra:
            weights = self.intra_weights(loss.detach(), label)
            weighted = loss * weights.to(loss)
            # One check of the weighted losses, agreed across ranks (every
            # rank raises, none waits in the next collective) and deferred
            # on accelerators; the cause is looked for, on this rank only,
            # when it fails.
            try:
                check_finite_loss(name, weighted,
                                  'the intra-category weighted losses',
                                  'the cause follows.')
            except ValueError as error:
                raise ValueError(
                    f'{error} {self._diagnose(loss, weighted, weights, label)}'
                ) from None
            loss = weighted
        else:
            check_finite_loss(name, loss, 'the (margin) cross-entropies',
                              _LOGITS_HINT)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)

    def _diagnose(self, loss: torch.Tensor, weighted: torch.Tensor,
                  weights: torch.Tensor, label: torch.Tensor) -> str:
        """Why the weighted losses are not finite on this rank: the
        cross-entropies (the logits), the weights (the stored histograms)
        or an overflow of their product. Local reads only: it runs once,
        when the agreed check has already failed."""
        name = type(self).__name__
        if not bool(torch.isfinite(loss).all()):
            return (f'Cause: {name}: the (margin) cross-entropies are not '
                    f'finite; {_LOGITS_HINT}')
        bad = ~torch.isfinite(weights)
        if bool(bad.any()):
            classes = label[bad].unique().tolist()
            return (f'Cause: {name}: the intra-category weighted losses (the '
                    f'GHM weights of classes {classes} are inf/NaN, the '
                    f'cross-entropies are finite): the stored histograms '
                    f'(buffers `hist` and `edges` of the loss, saved in '
                    f'checkpoints) hold inf/NaN: resume from an earlier '
                    f'checkpoint, or zero `hist` (and reset `edges` to '
                    f'uniform) to restart the statistics.')
        if bool(torch.isfinite(weighted).all()):
            return ('Cause: not on this rank (its weighted losses are '
                    'finite); see the rank that reports it.')
        return (f'Cause: {name}: the intra-category weighted losses (finite '
                f'cross-entropies times finite weights overflow in '
                f'{weighted.dtype}): raise `smoothing` (every weight is at '
                f'most 1 + 1/smoothing) or compute the loss in float32.')
