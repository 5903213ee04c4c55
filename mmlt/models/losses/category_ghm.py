# Copyright (c) mmlt contributors. All rights reserved.
"""The formulas of the category-wise GHM loss, as pure functions.

`Solving the Long-Tailed Problem via Intra- and Inter-Category Balance`
(category-wise GHM; Zhang, Lin, Zhang and Xu, ICASSP 2022). Every function
works on whole ``(N, C)`` or ``(C, bins)`` tensors: no Python loop over
classes or bins and no ``C x C`` tensor, so they scale to iNaturalist's
8,142 classes.

- Inter-category balance: :func:`inter_category_margins` (the rows
  ``M[y_i, :]`` of the paper's margin matrix) and :func:`margin_logits` (the
  same loss with a cheaper, shifted form of the rows).
- Intra-category balance: per-category histograms of the gradient norm
  ``g = 1 - p_y`` (:func:`category_histogram`), accumulated with momentum
  (:func:`accumulate_histogram`) and turned into per-sample weights that
  average to 1 over each category's accumulated histogram
  (:func:`category_ghm_weights`).
- Density approximation: uniform bins (URA, ``mmlt``'s
  :func:`~mmlt.models.losses.ghm_loss.ghm_bin_index`) or per-category
  adaptive bins (AURA: :func:`adaptive_bin_index`, :func:`adaptive_edges`,
  :func:`rebin_histogram`).
"""
from typing import Optional

import torch

#: Smallest width of an adaptive bin: caps a category's estimated density
#: (mass / width) so that a bin squeezed onto identical gradient norms can
#: not make it infinite (its samples' weights zero).
MIN_BIN_WIDTH = 1e-4


def inter_category_margins(scaled_log_counts: torch.Tensor,
                           label: torch.Tensor) -> torch.Tensor:
    r"""The margin rows :math:`M_{y_i, n} = \gamma \log \min(1, S_n /
    S_{y_i})` of a batch.

    Only the ``N`` rows of the labels are formed, never the ``C x C``
    matrix. A head-class sample sees the logits of rarer classes lowered
    (``M < 0``), so the tail classes are not pushed down by the head's
    samples; a tail-class sample sees no margin (``M = 0`` for every
    class at least as frequent).

    Args:
        scaled_log_counts (torch.Tensor): :math:`\gamma \log S_c`, shape
            ``(C, )``.
        label (torch.Tensor): Class indices ``(N, )``.

    Returns:
        torch.Tensor: The rows ``(N, C)``.
    """
    own = scaled_log_counts[label].unsqueeze(1)
    # gamma * log min(1, S_n / S_y) = min(0, gamma log S_n - gamma log S_y).
    return (scaled_log_counts.unsqueeze(0) - own).clamp_(max=0)


def margin_logits(cls_score: torch.Tensor, label: torch.Tensor,
                  scaled_log_counts: torch.Tensor) -> torch.Tensor:
    r"""Logits whose cross-entropy is the paper's margin loss.

    :math:`-\log e^{z_y} / \sum_n e^{z_n + M_{y,n}}` is invariant to adding
    one constant to every logit of a row. Adding :math:`\gamma \log S_y`
    turns :math:`z_n + M_{y,n}` into :math:`z_n + \min(\gamma \log S_n,
    \gamma \log S_y)`, and the target logit stays :math:`z_y +
    \gamma \log S_y` because :math:`M_{y,y} = 0`. So
    ``F.cross_entropy(margin_logits(...), label)`` equals the loss with
    :func:`inter_category_margins`, in two passes over ``(N, C)`` (a
    ``minimum`` and an in-place add) instead of four.

    Args:
        cls_score (torch.Tensor): The logits ``(N, C)``.
        label (torch.Tensor): Class indices ``(N, )``.
        scaled_log_counts (torch.Tensor): :math:`\gamma \log S_c`, shape
            ``(C, )``, in ``cls_score``'s dtype.

    Returns:
        torch.Tensor: The shifted margin logits ``(N, C)``.
    """
    own = scaled_log_counts[label].unsqueeze(1)
    return torch.minimum(scaled_log_counts.unsqueeze(0), own).add_(cls_score)


def uniform_edges(bins: int, num_classes: int = 1) -> torch.Tensor:
    """Uniform bin edges on ``[0, 1]`` for every category.

    Args:
        bins (int): The number of bins.
        num_classes (int): The number of categories. Defaults to 1.

    Returns:
        torch.Tensor: The edges ``(num_classes, bins + 1)``, float32.
    """
    return torch.linspace(0, 1, bins + 1).repeat(num_classes, 1)


def adaptive_bin_index(grad_norm: torch.Tensor, label: torch.Tensor,
                       edges: torch.Tensor) -> torch.Tensor:
    """The bin of every sample among its own category's edges.

    Bin ``k`` of category ``c`` holds ``edges[c, k] <= g < edges[c, k+1]``;
    ``g`` at or above the last inner edge (including ``g = 1``) falls in the
    last bin.

    Args:
        grad_norm (torch.Tensor): Gradient norms ``(N, )`` in ``[0, 1]``.
        label (torch.Tensor): Class indices ``(N, )``.
        edges (torch.Tensor): Increasing edges ``(C, bins + 1)`` from 0 to 1.

    Returns:
        torch.Tensor: Bin indices ``(N, )`` in ``[0, bins)``, int64.
    """
    # Counting the inner edges <= g gives the bin; one sorted row a sample.
    inner = edges[label, 1:-1].contiguous()
    value = grad_norm.to(inner.dtype).unsqueeze(1).contiguous()
    return torch.searchsorted(inner, value, right=True).squeeze(1)


def category_histogram(label: torch.Tensor, bin_index: torch.Tensor,
                       num_classes: int, bins: int) -> torch.Tensor:
    """Number of samples of every category in every bin.

    Args:
        label (torch.Tensor): Class indices ``(N, )``.
        bin_index (torch.Tensor): Bins ``(N, )`` in ``[0, bins)``.
        num_classes (int): ``C``.
        bins (int): The number of bins.

    Returns:
        torch.Tensor: Counts ``(C, bins)``, float32.
    """
    flat = label * bins + bin_index
    # index_add_, not bincount: bincount reads its input's range back to the
    # host (a sync per step on an accelerator) and has no meta/fake kernel.
    counts = torch.zeros(num_classes * bins, device=label.device)
    counts.index_add_(0, flat, torch.ones_like(flat, dtype=counts.dtype))
    return counts.view(num_classes, bins)


def accumulate_histogram(running: torch.Tensor,
                         counts: torch.Tensor,
                         momentum: float,
                         rule: str = 'category') -> torch.Tensor:
    r"""Moving average of the categories' histograms.

    Two update rules:

    - ``'category'``: :math:`A_c \leftarrow m A_c + (1 - m) h_c`, every bin
      of every category with a sample in the batch. ``A_c`` is then an
      exponential average of the category's own batches, i.e. an estimate
      of how its gradient norms are distributed; a bin that stops receiving
      samples decays towards 0, as its density does.
    - ``'bin'``: GHM-C's rule (Li et al., AAAI 2019): only the bins that
      received samples move, :math:`A_{c,k} \leftarrow m A_{c,k} + (1 - m)
      h_{c,k}` where :math:`h_{c,k} > 0`. ``A_{c,k}`` is then the average
      count of bin ``k`` in the batches that hit it, never below ``1 - m``
      once hit.

    Categories absent from the batch keep their histograms under both
    rules, so a tail category absent from most batches does not decay
    between its appearances. The batch enters before the weights are
    computed (as in GHM). Masses below the dtype's smallest normal number
    are set to 0: a decayed bin never turns into a subnormal whose
    reciprocal overflows (and a subnormal costs CPU time).

    Args:
        running (torch.Tensor): :math:`A`, shape ``(C, bins)``.
        counts (torch.Tensor): The batch histogram :math:`h`, ``(C, bins)``.
        momentum (float): :math:`m` in ``[0, 1)``.
        rule (str): ``'category'`` or ``'bin'``. Defaults to
            ``'category'``.

    Returns:
        torch.Tensor: The new histogram ``(C, bins)`` (a new tensor).
    """
    if rule == 'bin':
        moves = counts > 0
    elif rule == 'category':
        moves = counts.sum(dim=1, keepdim=True) > 0
    else:
        raise ValueError(f'accumulate_histogram: `rule` must be '
                         f'\'category\' or \'bin\', got {rule!r}.')
    updated = torch.where(moves, torch.lerp(counts, running, momentum),
                          running)
    return updated.masked_fill_(updated < torch.finfo(updated.dtype).tiny, 0)


def category_ghm_weights(label: torch.Tensor,
                         bin_index: torch.Tensor,
                         mass: torch.Tensor,
                         widths: Optional[torch.Tensor] = None,
                         smoothing: float = 8.0) -> torch.Tensor:
    r"""Intra-category gradient-harmonizing weights, normalised against each
    category's accumulated histogram.

    Let :math:`p_{c,k} = A_{c,k} / \sum_j A_{c,j}` be the share of category
    ``c``'s accumulated mass in bin ``k`` and :math:`r_{c,k} = p_{c,k} /
    \text{width}_{c,k}` its gradient density relative to a uniform spread
    over ``[0, 1]`` (1 everywhere for uniformly spread gradient norms).
    Sample ``i`` of category ``c`` in bin ``k`` gets

    .. math:: W_i = \frac{1}{(r_{c,k} + \rho \bar r_c) S_c}, \quad
              \bar r_c = \sum_k p_{c,k} r_{c,k}, \quad
              S_c = \sum_k \frac{p_{c,k}}{r_{c,k} + \rho \bar r_c}:

    the inverse gradient density, smoothed by a uniform prior of ``rho``
    times the density the category's samples see on average
    (:math:`\bar r_c`), and scaled so that the category's weights average
    to 1 over its accumulated distribution (:math:`\sum_k p_{c,k} W_{c,k}
    = 1`). Hence:

    - Within a category, sparse bins (hard samples) gain and dense bins
      (the mass of easy samples, a cluster of outliers) lose; categories
      are not re-weighted against each other on average.
    - The weights depend on the category's histogram only, never on how
      many of its samples, or which, the batch holds: a category with one
      sample in a batch of 512 is weighted like one with 60 in a batch of
      128.
    - Every weight is at most :math:`1 + 1 / \rho` (any history, any bins),
      so a category's effective sample size over its distribution,
      :math:`1 / \sum_k p_{c,k} W_{c,k}^2`, is at least :math:`\rho / (1 +
      \rho)` of its samples.
    - :math:`\rho \to 0` is GHM-C's :math:`N / (GD \cdot M)` on the
      category's accumulated histogram (``N`` its mass, ``GD`` the bin's
      density, ``M`` the occupied width in bins); :math:`\rho \to \infty`
      gives every sample weight 1.

    No bin's mass is ever inverted, so a bin decayed to 0 (or to a
    subnormal number) cannot poison its category. Under distributed
    training ``A`` holds the global batch, so all ranks agree.

    Args:
        label (torch.Tensor): Row of each sample in ``mass`` ``(N, )``.
        bin_index (torch.Tensor): Bins ``(N, )``.
        mass (torch.Tensor): Accumulated histograms :math:`A` ``(C, bins)``,
            including the batch.
        widths (torch.Tensor, optional): Bin widths ``(C, bins)``, each row
            summing to 1. Defaults to None (uniform bins).
        smoothing (float): :math:`\rho > 0`. Defaults to 8.0.

    Returns:
        torch.Tensor: The weights ``(N, )``.
    """
    bins = mass.size(1)
    if widths is None:
        widths = mass.new_full((1, bins), 1 / bins)
    total = mass.sum(dim=1, keepdim=True)
    # A row without mass (no sample ever) reads as uniform: weights 1. A
    # NaN in the state stays NaN, for the loss's finite check to report.
    share = torch.where(total == 0, widths.expand_as(mass),
                        mass / total.masked_fill(total == 0, 1))
    density = share / widths
    mean_density = (share * density).sum(dim=1, keepdim=True)
    inverse = (density + smoothing * mean_density).reciprocal()
    norm = (share * inverse).sum(dim=1)
    return inverse[label, bin_index] / norm[label]


def rebin_histogram(mass: torch.Tensor, edges: torch.Tensor,
                    new_edges: torch.Tensor) -> torch.Tensor:
    """Move histograms onto new edges, spreading each bin's mass uniformly
    over its width.

    Args:
        mass (torch.Tensor): Histograms ``(C, bins)`` on ``edges``.
        edges (torch.Tensor): Their edges ``(C, bins + 1)``.
        new_edges (torch.Tensor): The new edges ``(C, bins' + 1)``, with the
            same first and last edge.

    Returns:
        torch.Tensor: The histograms on ``new_edges`` ``(C, bins')``; each
        row keeps its total.
    """
    cdf = torch.cat([mass.new_zeros(mass.size(0), 1), mass.cumsum(1)], 1)
    cdf_new = _interpolate(new_edges, edges, cdf)
    return cdf_new.diff(dim=1).clamp_(min=0)


def adaptive_edges(edges: torch.Tensor,
                   mass: torch.Tensor,
                   min_width: float = MIN_BIN_WIDTH) -> torch.Tensor:
    r"""Adaptive-precision (AURA) edges: every category's running
    gradient-norm distribution split into bins of equal mass.

    The rule: the new inner edges of category ``c`` are the
    :math:`k / \text{bins}` quantiles (``k = 1 .. bins - 1``) of its
    accumulated histogram, read off the piecewise-linear distribution
    function that spreads each bin's mass uniformly over the bin. The
    outer edges stay at 0 and 1.

    Why: equal-mass bins are narrow where the gradient norms are dense
    (usually the many easy samples near 0) and wide where they are sparse,
    so the density :math:`\text{mass} / \text{width}` is resolved finely
    exactly where it varies most and no bin is empty, whereas uniform bins
    lump most of a category into one or two bins. The true quantiles are
    the fixed point of the update: with them, a new batch adds equal mass
    to every bin in expectation and the edges stay put. Categories with no
    mass keep their edges (uniform at the start).

    Consecutive edges are kept at least ``min_width`` apart, which caps the
    density of a category whose samples all share one gradient norm.

    Args:
        edges (torch.Tensor): Current edges ``(C, bins + 1)``.
        mass (torch.Tensor): The accumulated histograms on them
            ``(C, bins)``.
        min_width (float): The smallest bin width. Defaults to
            :data:`MIN_BIN_WIDTH`.

    Returns:
        torch.Tensor: The new edges ``(C, bins + 1)``.
    """
    num_classes, bins = mass.shape
    cdf = torch.cat([mass.new_zeros(num_classes, 1), mass.cumsum(1)], 1)
    total = cdf[:, -1:]
    quantiles = torch.arange(
        1, bins, device=mass.device, dtype=mass.dtype) / bins
    targets = quantiles.expand(num_classes, -1) * total
    inner = _interpolate(targets, cdf, edges)
    new = torch.cat([edges[:, :1], inner, edges[:, -1:]], 1)
    new = _enforce_min_width(new, min_width)
    return torch.where(total > 0, new, edges)


def _interpolate(x: torch.Tensor, xp: torch.Tensor,
                 fp: torch.Tensor) -> torch.Tensor:
    """Row-wise linear interpolation (``numpy.interp`` for every row).

    ``xp`` is non-decreasing in each row; ``x`` outside ``[xp[0], xp[-1]]``
    is clamped; on a flat piece of ``xp`` the left value is taken.
    """
    last = xp.size(1) - 2
    right = torch.searchsorted(xp.contiguous(), x.contiguous(), right=True)
    low = (right - 1).clamp_(0, last)
    x_lo, x_hi = xp.gather(1, low), xp.gather(1, low + 1)
    f_lo, f_hi = fp.gather(1, low), fp.gather(1, low + 1)
    span = x_hi - x_lo
    frac = ((x - x_lo) / span.masked_fill(span <= 0, 1)).clamp_(0, 1)
    return f_lo + frac * (f_hi - f_lo)


def _enforce_min_width(edges: torch.Tensor, min_width: float) -> torch.Tensor:
    """Push apart edges closer than ``min_width``, keeping the outer ones.

    Lifting ``e_k - k w`` to its running maximum makes every step at least
    ``w``; capping by ``e_K - (K - k) w`` keeps the last edge; the minimum
    of two sequences with steps ``>= w`` has steps ``>= w``.
    """
    bins = edges.size(1) - 1
    steps = torch.arange(
        bins + 1, device=edges.device, dtype=edges.dtype) * min_width
    low = (edges - steps).cummax(dim=1).values + steps
    high = edges[:, -1:] - steps.flip(0)
    return torch.minimum(low, high)
