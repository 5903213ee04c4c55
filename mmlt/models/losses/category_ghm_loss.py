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


@MODELS.register_module()
class CategoryGHMLoss(ClassCountsMixin, nn.Module):
    r"""Category-wise GHM loss with inter-category margins (paper 000).

    `Solving the Long-Tailed Problem via Intra- and Inter-Category Balance`
    (Zhang, Lin, Zhang and Xu):

    .. math:: \ell_i = -W_{y_i, i} \log \frac{e^{z_{y_i}}}
              {\sum_n e^{z_n + M_{y_i, n}}}, \qquad
              M_{c_1, c_2} = \gamma \log \min(1, S_{c_2} / S_{c_1}),

    with :math:`S_c` the training count of category ``c``. The switches map
    onto the paper's ablation (Table 3): ``inter`` is "R" (the margins,
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
    (:func:`~mmlt.models.losses.category_ghm.accumulate_histogram`): a batch
    holds only a few samples of a tail category. The weight of a sample is
    the inverse density (mass / width) of its bin in its category's
    histogram, normalised so that a category's weights in the batch sum to
    its count there
    (:func:`~mmlt.models.losses.category_ghm.category_ghm_weights`): the
    intra term emphasises a category's hard samples and reduces its easy
    ones and dense outliers but never re-weights categories against each
    other. A category seen for the first time gets the weights of its batch
    histogram alone (all finite). The weights carry no gradient.

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
    loss being trained.

    State and distributed training. The histograms (and edges) are updated
    in training mode only; in eval mode the batch is folded in for the
    weights without being stored. Under distributed training the batch
    histograms are summed over the ranks (``all_reduce``, training mode) so
    that all ranks hold the same state and every sample the weight of the
    global batch; each rank's loss is averaged over its own samples. Both
    buffers are in the state dict, so checkpoints save and resume them.

    Reduction: ``'mean'`` divides the weighted sum by the batch size (or
    ``avg_factor``, a number of samples as mmpretrain's ``ClsHead`` passes);
    the weights of a batch sum to its size, so this is a weighted mean.
    Needs hard labels.

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
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.reduction = reduction
        if intra:
            self.register_buffer('hist', torch.zeros(num_classes, bins))
            if density == 'adaptive':
                self.register_buffer('edges',
                                     uniform_edges(bins, num_classes))
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
        # 1 - p_y from the loss itself: no extra pass over the logits.
        grad_norm = (-torch.expm1(-loss.float())).clamp_(0, 1)
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
        # Only the categories in the (global) batch change or are read: work
        # on their rows, O(batch * bins) instead of O(C * bins).
        rows = counts.sum(dim=1).nonzero().squeeze(1)
        position = label.new_zeros(self.num_classes)
        position[rows] = torch.arange(rows.numel(), device=label.device)
        counts = counts.index_select(0, rows)
        mass = accumulate_histogram(hist.index_select(0, rows), counts,
                                    self.momentum)
        if edges is not None:
            edges = edges.index_select(0, rows)
        widths = None if edges is None else edges.diff(dim=1)
        weights = category_ghm_weights(position[label], bin_index, mass,
                                       counts, widths)
        if self.training:
            if edges is not None:
                new_edges = adaptive_edges(edges, mass)
                mass = rebin_histogram(mass, edges, new_edges)
                self.edges.index_copy_(0, rows, new_edges)
            hist.index_copy_(0, rows, mass)
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
            check_num_classes(name, cls_score, self.num_classes,
                              'num_classes')
        logits = cls_score
        if self.inter:
            check_class_counts(self, cls_score)
            logits = margin_logits(
                cls_score, label,
                buffer_like(self, 'scaled_log_counts', cls_score))
        loss = F.cross_entropy(logits, label, reduction='none')
        check_finite_loss(
            name, loss, 'the (margin) cross-entropies',
            'check the input logits for inf/NaN (diverged training?).')
        if self.intra:
            loss = loss * self.intra_weights(loss.detach(), label).to(loss)
        return self.loss_weight * reduce_loss(loss, weight, reduction,
                                              avg_factor, name)
