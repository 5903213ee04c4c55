# Copyright (c) mmlt contributors. All rights reserved.
r"""Feature statistics and distribution calibration of GLAG's stage two.

`Long-Tailed Classification with Gradual Balanced Loss and Adaptive Feature
Generation <https://arxiv.org/abs/2203.00452>`_ (Zhang & Xiang, 2022), the
Adaptive Feature Generator (AFG), works on the frozen stage-one features:

1. Tukey's ladder of powers :math:`\tilde x = x^\beta` (:math:`\log x` for
   :math:`\beta = 0`) makes the skewed, non-negative (post-ReLU) features
   closer to Gaussian (:func:`tukey_transform`).
2. Per class c, the mean :math:`\mu_c` and covariance :math:`\Sigma_c` of
   the transformed training features (:func:`class_moments`, summable over
   ranks, then :func:`finalize_class_stats`).
3. For a tail-class feature :math:`\tilde x`, the support set
   :math:`S_N` is the k classes with *more* training samples whose means are
   nearest to :math:`\tilde x` (:func:`support_set`).
4. Its calibrated Gaussian (:func:`calibrated_distribution`), with the
   class-wise confidence :math:`\lambda_c \in [0, 1]` in the knowledge of
   the head classes, the optional dispersion :math:`\alpha \ge 0` and
   support weights :math:`w_i` (summing to 1):

   .. math::

       \Sigma' = \lambda_c \sum_{i \in S_N} w_i \Sigma_i + \alpha I,

   and the mean by one of three transfers (:func:`calibrated_mean`):

   - ``'interpolate'`` (the reading of the paper's text, which this project
     first implemented): :math:`\mu' = \lambda_c \sum_i w_i \mu_i +
     (1 - \lambda_c) \tilde x`, the mean moved :math:`\lambda_c` of the way
     from the sample to its support classes;
   - ``'average'`` (the distribution calibration of Yang et al., ICLR 2021):
     :math:`\mu' = (\tilde x + k \sum_i w_i \mu_i) / (k + 1)`, the average of
     the sample and the support means (exactly theirs with uniform
     weights); :math:`\lambda_c` only scales the borrowed covariance;
   - ``'covariance_only'``: :math:`\mu' = \tilde x`; only the shape of the
     distribution (the covariance) is borrowed from the support classes.

   The support weights (:func:`support_weights`): :math:`w_i \propto n_i /
   d_i` (``'count_distance'``, the paper's stated intent: more from classes
   with more samples and closer to the feature), :math:`\sqrt{n_i} / d_i`
   (``'sqrt_count_distance'``) or :math:`\log(1 + n_i) / d_i`
   (``'log_count_distance'``), which damp the counts, :math:`1 / d_i`
   (``'distance'``) or :math:`1 / k` (``'uniform'``, Yang et al.). The
   equations of the paper copy in this project are not legible; the paper's
   reading is ``mean_transfer='interpolate'`` with
   ``support_weighting='count_distance'``, :math:`\lambda_c = 1` trusting
   the head classes fully and :math:`\lambda_c = 0` keeping the sample
   (plus the dispersion).
5. Head classes are sampled from their own :math:`N(\mu_c, \Sigma_c)`.

**Covariance storage.** Every covariance is kept as a factor:
:math:`\Sigma_c = R_c R_c^\top + \mathrm{diag}(D_c)`. Memory for C classes
and d-dimensional features (float32, 4 bytes per number), see
:func:`covariance_memory_bytes`:

- ``'full'``: :math:`R_c` the (jittered) Cholesky factor, C·d² numbers
  (ResNet-32, 100 classes × 64²: 1.6 MB; ResNet-50, 1,000 × 2048²: 16.8 GB;
  iNaturalist 2018, 8,142 × 2048²: 137 GB);
- ``'lowrank'``: :math:`R_c` a rank-r Nyström factor from a one-pass sketch
  :math:`\Sigma_c \Omega` (Ω a fixed d×r Gaussian matrix) and :math:`D_c`
  the remaining variance, so the variances stay exact; C·d·r numbers
  (8,142 × 2048 × 32 at r = 32: 2.1 GB);
- ``'diagonal'``: only :math:`D_c`, C·d numbers (8,142 × 2048: 67 MB).

Besides, every option keeps the means and variances (2·C·d numbers); the
statistics pass sums in float64 (twice the size).

``'auto'`` (:func:`choose_covariance_type`) picks the first of full,
low-rank, diagonal whose peak (:func:`stage_two_memory_bytes`: the kept
statistics, the float64 running sums and the temporaries of finalising
``finalize_chunk`` classes at a time) fits a memory budget; the anchors get
half of what is left (:func:`anchor_capacity`: while they are gathered, a
rank holds its own and the merged set).

**Sampling** is reparameterised and never inverts anything: a sum of
independent Gaussians has the sum of their covariances, so
:math:`\mu' + \sum_i \sqrt{\lambda w_i}(R_i \epsilon_i +
\sqrt{D_i} \odot \eta_i) + \sqrt{\alpha}\,\xi` with standard normal
:math:`\epsilon, \eta, \xi` has exactly the calibrated covariance, from the
per-class factors alone (no d×d Cholesky per generated feature).

**Singular covariances** (a class with fewer samples than dimensions, or
with one sample) are regularised in :func:`cholesky_with_jitter`: a
multiple of the mean variance is added to the diagonal, growing tenfold
until the factorisation succeeds; if it never does, the factor of the
eigenvalue-clipped matrix is used. Factors are therefore always finite.
"""
import math
from typing import Dict, Optional, Tuple

import torch

from ..losses.utils import check_choice

#: The covariance storage options (besides ``'auto'``).
COVARIANCE_TYPES = ('full', 'lowrank', 'diagonal')
#: How the support classes of a tail feature are weighted.
SUPPORT_WEIGHTINGS = ('count_distance', 'sqrt_count_distance',
                      'log_count_distance', 'distance', 'uniform')
#: Where the calibrated mean of a tail feature lies.
MEAN_TRANSFERS = ('interpolate', 'average', 'covariance_only')


def _check_beta(owner: str, beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) \
            or not math.isfinite(beta) or beta < 0:
        raise ValueError(f'{owner}: the Tukey power `beta` must be a finite '
                         f'number >= 0 (0 means log), got {beta!r}.')
    return float(beta)


def tukey_transform(x: torch.Tensor,
                    beta: float = 0.5,
                    eps: float = 1e-6) -> torch.Tensor:
    r"""Tukey's ladder of powers, :math:`x^\beta` or :math:`\log x`.

    Args:
        x (torch.Tensor): Features, non-negative (post-ReLU) for
            ``beta=0``. For ``beta > 0`` a negative entry maps to
            :math:`-|x|^\beta` (the odd extension keeps the map monotone and
            invertible).
        beta (float): The power; 0 means :math:`\log(x + \epsilon)`.
            Defaults to 0.5.
        eps (float): Offset of the log, so zero features stay finite.
            Defaults to 1e-6.

    Returns:
        torch.Tensor: The transformed features, same shape and dtype.
    """
    beta = _check_beta('tukey_transform', beta)
    if beta == 0:
        if (x < 0).any():
            raise ValueError('tukey_transform: beta=0 (log) needs '
                             'non-negative features; use beta > 0 for '
                             'features that can be negative.')
        return torch.log(x + eps)
    return torch.sign(x) * x.abs().pow(beta)


def inverse_tukey_transform(y: torch.Tensor,
                            beta: float = 0.5,
                            eps: float = 1e-6) -> torch.Tensor:
    """The inverse of :func:`tukey_transform` with the same arguments.

    Args:
        y (torch.Tensor): Transformed features.
        beta (float): The power. Defaults to 0.5.
        eps (float): The log offset. Defaults to 1e-6.

    Returns:
        torch.Tensor: Features in the original space.
    """
    beta = _check_beta('inverse_tukey_transform', beta)
    if beta == 0:
        return torch.exp(y) - eps
    return torch.sign(y) * y.abs().pow(1.0 / beta)


def covariance_memory_bytes(num_classes: int,
                            dim: int,
                            covariance_type: str,
                            rank: int = 64,
                            bytes_per_number: int = 4) -> int:
    """Memory of the per-class statistics (means, variances, factors).

    Args:
        num_classes (int): C.
        dim (int): d, the feature dimension.
        covariance_type (str): ``'full'`` (C·d² for the factors),
            ``'lowrank'`` (C·d·r) or ``'diagonal'`` (none).
        rank (int): r of ``'lowrank'``. Defaults to 64.
        bytes_per_number (int): 4 for float32. Defaults to 4.

    Returns:
        int: Bytes, the means and variances (2·C·d) included.
    """
    check_choice('covariance_memory_bytes', 'covariance_type', covariance_type,
                 COVARIANCE_TYPES)
    factor = dict(full=dim, lowrank=rank, diagonal=0)[covariance_type]
    return num_classes * dim * (factor + 2) * bytes_per_number


def stage_two_memory_bytes(num_classes: int,
                           dim: int,
                           covariance_type: str,
                           rank: int = 64,
                           finalize_chunk: int = 64) -> Dict[str, int]:
    """Peak memory of AFG's statistics, besides the anchors.

    - ``statistics``: what the head keeps (float32): means, variances and
      factors (:func:`covariance_memory_bytes`), the teacher
      (:math:`C (d + 1)`) and the counts;
    - ``running_sums``: the float64 sums of the statistics pass
      (:func:`class_moments`: counts, sums, squares and the outer products,
      :math:`C d^2`, or their sketch, :math:`C d r`);
    - ``finalisation``: float64 temporaries of
      :func:`finalize_class_stats` for ``finalize_chunk`` classes at a
      time: the chunk's means and variances and three ``d x r`` (``d x d``
      for full) matrices per class (covariance or sketch, its symmetrised
      copy or eigenvectors, the factor).

    Args:
        num_classes (int): C.
        dim (int): d.
        covariance_type (str): ``'full'``, ``'lowrank'`` or ``'diagonal'``.
        rank (int): r of ``'lowrank'``. Defaults to 64.
        finalize_chunk (int): Classes finalised at a time. Defaults to 64.

    Returns:
        dict: Bytes of each part and their ``total``.
    """
    check_choice('stage_two_memory_bytes', 'covariance_type', covariance_type,
                 COVARIANCE_TYPES)
    C, d = num_classes, dim
    r = dict(full=dim, lowrank=rank, diagonal=0)[covariance_type]
    chunk = min(finalize_chunk, C)
    parts = dict(
        statistics=covariance_memory_bytes(C, d, covariance_type, rank) +
        4 * C * (d + 1) + 4 * C,
        running_sums=8 * C * (1 + 2 * d + d * r),
        finalisation=8 * chunk * (3 * d + 3 * d * r + 3 * r * r))
    parts['total'] = sum(parts.values())
    return parts


def choose_covariance_type(num_classes: int,
                           dim: int,
                           rank: int = 64,
                           memory_limit_bytes: float = 2 * 1024**3,
                           finalize_chunk: int = 64) -> str:
    """The first of full, low-rank, diagonal whose statistics fit a budget.

    Counts everything the statistics take at their peak
    (:func:`stage_two_memory_bytes`: kept float32 statistics, float64
    running sums, finalisation temporaries), not only the kept factors.

    Args:
        num_classes (int): C.
        dim (int): d.
        rank (int): r of the low-rank option. Defaults to 64.
        memory_limit_bytes (float): The budget. Defaults to 2 GiB.
        finalize_chunk (int): Classes finalised at a time. Defaults to 64.

    Returns:
        str: ``'full'``, ``'lowrank'`` or ``'diagonal'``.
    """
    for covariance_type in COVARIANCE_TYPES:
        if covariance_type == 'lowrank' and rank >= dim:
            continue  # as big as full and less exact
        if stage_two_memory_bytes(num_classes, dim, covariance_type, rank,
                                  finalize_chunk)['total'] <= \
                memory_limit_bytes:
            return covariance_type
    return 'diagonal'


def anchor_bytes(dim: int, k: int) -> int:
    """Bytes of one calibration anchor: the float32 feature ``(d, )``, its
    support classes (int64) and weights (float32), ``(k, )`` each."""
    return 4 * dim + 12 * k


def anchor_capacity(counts: torch.Tensor,
                    tail: torch.Tensor,
                    dim: int,
                    k: int,
                    budget_bytes: float,
                    max_per_class: Optional[int] = None
                    ) -> Tuple[torch.Tensor, Optional[int]]:
    """How many training features of each tail class AFG keeps as anchors.

    GLAG calibrates every tail sample: all of them are kept unless they
    exceed ``budget_bytes`` (at :func:`anchor_bytes` each) or the explicit
    ``max_per_class``; then every tail class keeps at most ``A`` of them, the
    largest ``A`` that fits.

    Args:
        counts (torch.Tensor): ``(C, )`` training counts.
        tail (torch.Tensor): ``(C, )`` bool, the tail classes.
        dim (int): d.
        k (int): The support size.
        budget_bytes (float): Memory for the anchors.
        max_per_class (int, optional): An explicit cap. Defaults to None.

    Returns:
        tuple: The ``(C, )`` int64 capacity (0 for head classes) and the
        per-class cap that had to apply (None when every tail sample fits).

    Raises:
        ValueError: If not even one anchor per tail class fits.
    """
    counts = torch.as_tensor(counts).long().cpu()
    tail = torch.as_tensor(tail).bool().cpu()
    want = torch.where(tail, counts, torch.zeros_like(counts))
    if max_per_class is not None:
        want = want.clamp_max(max_per_class)
    per = anchor_bytes(dim, k)
    limit = int(budget_bytes // per)  # anchors that fit
    if int(want.sum()) <= limit:
        cap = None
        if max_per_class is not None:
            clipped = torch.where(tail, counts, want) > want
            if bool(clipped.any()):
                cap = int(max_per_class)
        return want, cap
    # The largest A with sum_c min(n_c, A) <= limit (monotone in A).
    low, high = 0, int(want.max())
    while low < high:
        mid = (low + high + 1) // 2
        if int(want.clamp_max(mid).sum()) <= limit:
            low = mid
        else:
            high = mid - 1
    if low < 1:
        raise ValueError(
            f'anchor_capacity: not even one anchor per tail class fits the '
            f'memory budget ({int(tail.sum())} tail classes x {per} bytes > '
            f'{budget_bytes / 1024**3:.3g} GiB left for anchors); raise '
            f'`memory_limit_gb` of AdaptiveFeatureGeneratorHead.')
    return want.clamp_max(low), low


def class_moments(features: torch.Tensor,
                  labels: torch.Tensor,
                  num_classes: int,
                  covariance_type: str = 'full',
                  sketch: Optional[torch.Tensor] = None,
                  out: Optional[Dict[str, torch.Tensor]] = None
                  ) -> Dict[str, torch.Tensor]:
    """Per-class sums of a batch; add them over batches and ranks.

    Args:
        features (torch.Tensor): ``(N, d)`` (already Tukey-transformed).
        labels (torch.Tensor): ``(N, )`` class indices.
        num_classes (int): C.
        covariance_type (str): Which second moments to sum: ``'full'`` the
            outer products ``(C, d, d)``, ``'lowrank'`` the sketched ones
            :math:`\\sum x (x^\\top \\Omega)` ``(C, d, r)``; all types sum
            the squares ``(C, d)``. Defaults to ``'full'``.
        sketch (torch.Tensor, optional): Ω ``(d, r)``, for ``'lowrank'``.
        out (dict, optional): Sums of earlier batches to add this batch to,
            in place (no second C·d² tensor per batch). Defaults to None.

    Returns:
        dict: ``count`` (C, ), ``sum`` (C, d), ``sq`` (C, d) and ``outer``
        (``'full'``) or ``sketched`` (``'lowrank'``), in float64 so that
        sums over a large training set keep their precision.
    """
    check_choice('class_moments', 'covariance_type', covariance_type,
                 COVARIANCE_TYPES)
    if covariance_type == 'lowrank' and sketch is None:
        raise ValueError('class_moments: covariance_type="lowrank" needs '
                         'the sketch matrix Omega (d, r).')
    x = features.detach().to(torch.float64)
    labels = labels.long().to(x.device)
    if out is None:
        num, dim = num_classes, x.size(1)
        out = dict(
            count=x.new_zeros(num),
            sum=x.new_zeros(num, dim),
            sq=x.new_zeros(num, dim))
        if covariance_type == 'full':
            out['outer'] = x.new_zeros(num, dim, dim)
        elif covariance_type == 'lowrank':
            out['sketched'] = x.new_zeros(num, dim, sketch.size(1))
    # index_add_: per-sample terms added into their class's row.
    out['count'].index_add_(0, labels, torch.ones_like(labels, dtype=x.dtype))
    out['sum'].index_add_(0, labels, x)
    out['sq'].index_add_(0, labels, x * x)
    if covariance_type == 'full':
        out['outer'].index_add_(0, labels, x[:, :, None] * x[:, None, :])
    elif covariance_type == 'lowrank':
        out['sketched'].index_add_(
            0, labels, x[:, :, None] * (x @ sketch.to(x))[:, None, :])
    return out


def cholesky_with_jitter(cov: torch.Tensor,
                         jitter: float = 1e-6,
                         max_tries: int = 8) -> torch.Tensor:
    """A lower Cholesky factor of a (batch of) PSD matrix, regularised.

    Adds ``jitter * mean(diag)`` (at least ``jitter``) to the diagonal of
    the matrices that fail, ten times more at each try; matrices still
    failing after ``max_tries`` get the factor ``V sqrt(max(Λ, 0))`` of their
    eigen-decomposition, which exists for any symmetric matrix.

    Args:
        cov (torch.Tensor): ``(..., d, d)`` symmetric matrices.
        jitter (float): Relative initial jitter. Defaults to 1e-6.
        max_tries (int): Jitter escalations. Defaults to 8.

    Returns:
        torch.Tensor: ``L`` with ``L L^T ≈ cov``, finite.
    """
    cov = 0.5 * (cov + cov.transpose(-1, -2))
    factor, info = torch.linalg.cholesky_ex(cov)
    if not bool((info != 0).any()):
        return factor
    dim = cov.size(-1)
    eye = torch.eye(dim, dtype=cov.dtype, device=cov.device)
    scale = cov.diagonal(dim1=-2, dim2=-1).mean(-1).clamp_min(1.0)
    for attempt in range(max_tries):
        bad = info != 0
        if not bool(bad.any()):
            return factor
        amount = (jitter * 10**attempt * scale[bad])[..., None, None]
        retry, retry_info = torch.linalg.cholesky_ex(cov[bad] + amount * eye)
        factor[bad] = retry
        info = info.clone()
        info[bad] = retry_info
    bad = info != 0
    if bool(bad.any()):
        values, vectors = torch.linalg.eigh(cov[bad])
        factor[bad] = vectors * values.clamp_min(0).sqrt()[..., None, :]
    return factor


def finalize_class_stats(moments: Dict[str, torch.Tensor],
                         covariance_type: str,
                         sketch: Optional[torch.Tensor] = None,
                         jitter: float = 1e-6
                         ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Means and covariance factors from summed :func:`class_moments`.

    The covariance is the unbiased one (divided by :math:`n_c - 1`; zero for
    a class with a single sample).

    Args:
        moments (dict): Summed over the training set (and ranks).
        covariance_type (str): ``'full'``, ``'lowrank'`` or ``'diagonal'``.
        sketch (torch.Tensor, optional): The Ω of ``'lowrank'``.
        jitter (float): See :func:`cholesky_with_jitter`. Defaults to 1e-6.

    Returns:
        tuple[torch.Tensor]: ``mean`` (C, d), ``root`` (C, d, r) with r = d
        (full), the rank (low-rank) or 0 (diagonal), and ``diag`` (C, d),
        such that :math:`\\Sigma_c = R_c R_c^\\top + \\mathrm{diag}(D_c)`; all
        float64. Classes without samples get zeros.
    """
    check_choice('finalize_class_stats', 'covariance_type', covariance_type,
                 COVARIANCE_TYPES)
    count = moments['count']
    n = count.clamp_min(1)[:, None]
    mean = moments['sum'] / n
    # Unbiased: n / (n - 1) times the population moment; 0 for n <= 1.
    scale = torch.where(count > 1, count / (count - 1).clamp_min(1),
                        torch.zeros_like(count))
    var = ((moments['sq'] / n - mean * mean) * scale[:, None]).clamp_min(0)
    num_classes, dim = mean.shape
    if covariance_type == 'diagonal':
        return mean, mean.new_zeros(num_classes, dim, 0), var
    if covariance_type == 'full':
        cov = (moments['outer'] / n[..., None] -
               mean[:, :, None] * mean[:, None, :]) * scale[:, None, None]
        return mean, cholesky_with_jitter(cov, jitter), torch.zeros_like(var)
    omega = sketch.to(mean)
    # Y = Σ Ω, linear in the sums: (E[x x^T] - μ μ^T) Ω.
    y = (moments['sketched'] / n[..., None] - mean[:, :, None] *
         (mean @ omega)[:, None, :]) * scale[:, None, None]
    core = omega.t()[None] @ y  # Ω^T Σ Ω, (C, r, r), PSD
    core = 0.5 * (core + core.transpose(-1, -2))
    values, vectors = torch.linalg.eigh(core)
    # Nyström: Σ ≈ Y core^+ Y^T = F F^T with F = Y V Λ^{-1/2} (Λ > tol).
    tol = values.amax(-1, keepdim=True).clamp_min(0) * 1e-10
    keep = values > tol
    inv_sqrt = torch.where(keep,
                           values.clamp_min(1e-300).rsqrt(),
                           torch.zeros_like(values))
    root = (y @ vectors) * inv_sqrt[:, None, :]
    # The residual variance keeps diag(Σ) exact; F F^T <= Σ, so it is >= 0.
    diag = (var - (root * root).sum(-1)).clamp_min(0)
    return mean, root, diag


def support_set(features: torch.Tensor, labels: torch.Tensor,
                means: torch.Tensor, counts: torch.Tensor,
                k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The k nearest classes with more training samples, per feature.

    Args:
        features (torch.Tensor): Transformed tail features ``(M, d)``.
        labels (torch.Tensor): Their classes ``(M, )``.
        means (torch.Tensor): Class means ``(C, d)``.
        counts (torch.Tensor): Training counts ``(C, )``.
        k (int): The support size (the paper uses 2 or 3).

    Returns:
        tuple[torch.Tensor]: Indices ``(M, k)`` and Euclidean distances
        ``(M, k)`` of the support classes, nearest first.
    """
    check_support_size(counts, labels.unique(), k)
    dist = torch.cdist(features.to(means), means)
    richer = counts[None, :] > counts[labels][:, None]
    dist_masked = dist.masked_fill(~richer, float('inf'))
    value, index = dist_masked.topk(k, dim=1, largest=False)
    return index, value


def check_support_size(counts: torch.Tensor, classes: torch.Tensor,
                       k: int) -> None:
    """Raise if a class has fewer than k classes with more samples.

    The head-most classes are the ones concerned (the largest class has no
    richer class at all); they must be head classes, which are sampled from
    their own statistics and need no support set.

    Args:
        counts (torch.Tensor): Training counts ``(C, )``.
        classes (torch.Tensor): The classes that need a support set.
        k (int): The support size.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f'support_set: k must be an int >= 1, got {k!r}.')
    counts = torch.as_tensor(counts)
    for c in torch.as_tensor(classes).tolist():
        richer = int((counts > counts[c]).sum())
        if richer < k:
            raise ValueError(
                f'support_set: class {c} ({int(counts[c])} samples) has only '
                f'{richer} classes with more training samples, fewer than '
                f'k={k}; lower k or count it as a head class (raise '
                f'`tail_max_count` of AdaptiveFeatureGeneratorHead).')


def support_weights(distances: torch.Tensor,
                    support_counts: torch.Tensor,
                    weighting: str = 'count_distance',
                    eps: float = 1e-6) -> torch.Tensor:
    """The weights :math:`w_i` of the support classes, summing to 1.

    Args:
        distances (torch.Tensor): ``(M, k)`` feature-to-mean distances.
        support_counts (torch.Tensor): ``(M, k)`` their training counts.
        weighting (str): :math:`w_i \\propto` ``'count_distance'``
            :math:`n_i / (d_i + \\epsilon)` (the paper's reading),
            ``'sqrt_count_distance'`` :math:`\\sqrt{n_i} / (d_i +
            \\epsilon)`, ``'log_count_distance'`` :math:`\\log(1 + n_i) /
            (d_i + \\epsilon)`, ``'distance'`` :math:`1 / (d_i +
            \\epsilon)`, or ``'uniform'`` (1/k, Yang et al. 2021).
            Defaults to ``'count_distance'``.
        eps (float): Keeps a zero distance finite. Defaults to 1e-6.

    Returns:
        torch.Tensor: ``(M, k)`` weights.
    """
    check_choice('support_weights', 'weighting', weighting, SUPPORT_WEIGHTINGS)
    if weighting == 'uniform':
        return torch.full_like(distances, 1.0 / distances.size(1))
    counts = support_counts.to(distances)
    # Why damped counts: a 100x richer class would otherwise outweigh a
    # 10x closer one, and the mean moves to a far class (issue 17).
    numerator = dict(
        count_distance=lambda: counts,
        sqrt_count_distance=lambda: counts.sqrt(),
        log_count_distance=lambda: torch.log1p(counts),
        distance=lambda: torch.ones_like(counts))[weighting]()
    raw = numerator / (distances + eps)
    return raw / raw.sum(1, keepdim=True)


def calibrated_mean(anchors: torch.Tensor,
                    support_means: torch.Tensor,
                    weights: torch.Tensor,
                    confidence: torch.Tensor,
                    mean_transfer: str = 'interpolate') -> torch.Tensor:
    """The calibrated mean of each tail feature (batched).

    Args:
        anchors (torch.Tensor): Transformed tail features ``(G, d)``.
        support_means (torch.Tensor): ``(G, k, d)`` their support means.
        weights (torch.Tensor): ``(G, k)`` support weights.
        confidence (torch.Tensor): ``(G, )`` :math:`\\lambda` per feature.
        mean_transfer (str): ``'interpolate'`` :math:`\\lambda \\sum_i w_i
            \\mu_i + (1 - \\lambda) \\tilde x` (the paper's reading),
            ``'average'`` :math:`(\\tilde x + k \\sum_i w_i \\mu_i) /
            (k + 1)` (Yang et al., ICLR 2021; independent of
            :math:`\\lambda`) or ``'covariance_only'`` :math:`\\tilde x`.
            Defaults to ``'interpolate'``.

    Returns:
        torch.Tensor: ``(G, d)`` means.
    """
    check_choice('calibrated_mean', 'mean_transfer', mean_transfer,
                 MEAN_TRANSFERS)
    anchors = anchors.to(support_means)
    if mean_transfer == 'covariance_only':
        return anchors.clone()
    support = (weights.to(support_means)[..., None] * support_means).sum(-2)
    if mean_transfer == 'average':
        k = support_means.size(-2)
        return (anchors + k * support) / (k + 1)
    lam = confidence.to(support_means)[..., None]
    return lam * support + (1 - lam) * anchors


def check_confidence(owner: str, confidence) -> torch.Tensor:
    """Raise unless every confidence λ is a finite number in [0, 1]."""
    value = torch.as_tensor(confidence, dtype=torch.float64)
    valid = torch.isfinite(value) & (value >= 0) & (value <= 1)
    if not bool(valid.all()):
        raise ValueError(f'{owner}: the confidence lambda must lie in '
                         f'[0, 1], got {value.tolist()}.')
    return value


def calibrated_distribution(feature: torch.Tensor,
                            support_means: torch.Tensor,
                            support_covs: torch.Tensor,
                            weights: torch.Tensor,
                            confidence: float,
                            alpha: float = 0.0,
                            mean_transfer: str = 'interpolate'
                            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The calibrated Gaussian of one tail feature, explicitly.

    The reference form of what :func:`sample_calibrated` draws from.

    Args:
        feature (torch.Tensor): The transformed tail feature ``(d, )``.
        support_means (torch.Tensor): ``(k, d)``.
        support_covs (torch.Tensor): ``(k, d, d)``.
        weights (torch.Tensor): ``(k, )`` support weights.
        confidence (float): λ in [0, 1].
        alpha (float): Dispersion α >= 0. Defaults to 0.
        mean_transfer (str): See :func:`calibrated_mean`. Defaults to
            ``'interpolate'``.

    Returns:
        tuple[torch.Tensor]: Mean ``(d, )`` and covariance ``(d, d)``.
    """
    lam = float(check_confidence('calibrated_distribution', confidence))
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f'calibrated_distribution: alpha must be >= 0, got '
                         f'{alpha!r}.')
    mean = calibrated_mean(feature[None], support_means[None], weights[None],
                           feature.new_full((1, ), lam), mean_transfer)[0]
    cov = lam * (weights[:, None, None] * support_covs).sum(0)
    cov = cov + alpha * torch.eye(
        cov.size(-1), dtype=cov.dtype, device=cov.device)
    return mean, cov


def _gaussian_noise(roots: torch.Tensor, diag: torch.Tensor,
                    generator: Optional[torch.Generator]) -> torch.Tensor:
    """Draws with covariance ``R R^T + diag(D)`` for batched R, D."""
    eps = torch.randn(
        roots.shape[:-2] + (roots.size(-1), ),
        generator=generator,
        dtype=roots.dtype,
        device=roots.device)
    eta = torch.randn(
        diag.shape, generator=generator, dtype=diag.dtype, device=diag.device)
    return (roots @ eps[..., None])[..., 0] + diag.sqrt() * eta


def sample_class_gaussian(labels: torch.Tensor,
                          means: torch.Tensor,
                          roots: torch.Tensor,
                          diag: torch.Tensor,
                          generator: Optional[torch.Generator] = None
                          ) -> torch.Tensor:
    """Draw one feature of each label from its class's own Gaussian.

    Args:
        labels (torch.Tensor): ``(G, )`` classes.
        means, roots, diag (torch.Tensor): From :func:`finalize_class_stats`.
        generator (torch.Generator, optional): Random generator.

    Returns:
        torch.Tensor: ``(G, d)`` transformed features.
    """
    return means[labels] + _gaussian_noise(roots[labels], diag[labels],
                                           generator)


def sample_calibrated(anchors: torch.Tensor,
                      support_index: torch.Tensor,
                      weights: torch.Tensor,
                      confidence: torch.Tensor,
                      means: torch.Tensor,
                      roots: torch.Tensor,
                      diag: torch.Tensor,
                      alpha: float = 0.0,
                      generator: Optional[torch.Generator] = None,
                      mean_transfer: str = 'interpolate') -> torch.Tensor:
    """Draw one feature from the calibrated Gaussian of each anchor.

    Exact reparameterisation of :func:`calibrated_distribution`: the mean
    plus independent draws of :math:`N(0, \\lambda w_i \\Sigma_i)` per support
    class and of :math:`N(0, \\alpha I)`.

    Args:
        anchors (torch.Tensor): Transformed tail features ``(G, d)``.
        support_index (torch.Tensor): ``(G, k)`` from :func:`support_set`.
        weights (torch.Tensor): ``(G, k)`` from :func:`support_weights`.
        confidence (torch.Tensor): ``(G, )`` λ of each anchor's class.
        means, roots, diag (torch.Tensor): From :func:`finalize_class_stats`.
        alpha (float): Dispersion α >= 0. Defaults to 0.
        generator (torch.Generator, optional): Random generator.
        mean_transfer (str): See :func:`calibrated_mean`. Defaults to
            ``'interpolate'``.

    Returns:
        torch.Tensor: ``(G, d)`` transformed features.
    """
    lam = confidence.to(means)[:, None]
    mean = calibrated_mean(anchors, means[support_index], weights, confidence,
                           mean_transfer)
    noise = _gaussian_noise(roots[support_index], diag[support_index],
                            generator)  # (G, k, d)
    scale = (lam * weights.to(means)).clamp_min(0).sqrt()[..., None]
    sample = mean + (scale * noise).sum(1)
    if alpha > 0:
        sample = sample + math.sqrt(alpha) * torch.randn(
            sample.shape,
            generator=generator,
            dtype=sample.dtype,
            device=sample.device)
    return sample


def pick_anchors(labels: torch.Tensor,
                 anchor_count: torch.Tensor,
                 anchor_offset: torch.Tensor,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """A uniformly drawn anchor row of each label's class (batched).

    Args:
        labels (torch.Tensor): ``(G, )`` classes.
        anchor_count (torch.Tensor): ``(C, )`` anchors per class.
        anchor_offset (torch.Tensor): ``(C, )`` the first row of each class
            (the exclusive cumulative sum of ``anchor_count``).
        generator (torch.Generator, optional): Random generator.

    Returns:
        torch.Tensor: ``(G, )`` rows; a class without anchors gets the row
        before its offset clamped to 0 (a valid row that the caller must not
        use, kept so that the shapes do not depend on the data).
    """
    num = anchor_count[labels]
    draw = torch.rand(labels.shape, generator=generator, device=labels.device)
    pick = anchor_offset[labels] + (draw * num).long().minimum(num - 1)
    return pick.clamp_min(0)


def sample_generated(labels: torch.Tensor,
                     use_anchor: torch.Tensor,
                     anchor_rows: torch.Tensor,
                     anchors: torch.Tensor,
                     support_index: torch.Tensor,
                     weights: torch.Tensor,
                     confidence: torch.Tensor,
                     means: torch.Tensor,
                     roots: torch.Tensor,
                     diag: torch.Tensor,
                     alpha: float = 0.0,
                     generator: Optional[torch.Generator] = None,
                     mean_transfer: str = 'interpolate') -> torch.Tensor:
    r"""One draw per label, calibrated or from its own class, in one batch.

    A row with ``use_anchor`` draws from the calibrated Gaussian of its
    anchor (:func:`sample_calibrated`); any other row from its class's own
    Gaussian (:func:`sample_class_gaussian`). Both kinds share one batched
    computation of fixed shapes: an own-class row is the calibrated form
    with the support set (c, c, ...), weights (1, 0, ...), :math:`\lambda =
    1`, its class mean as the mean and no dispersion, which is exactly
    :math:`N(\mu_c, \Sigma_c)`. So the split between the two kinds is never
    read to the host (no ``nonzero()`` of data-dependent size per step).

    Args:
        labels (torch.Tensor): ``(G, )`` classes.
        use_anchor (torch.Tensor): ``(G, )`` bool, the calibrated rows.
        anchor_rows (torch.Tensor): ``(G, )`` a valid anchor row per label
            (:func:`pick_anchors`; ignored where ``use_anchor`` is False).
        anchors (torch.Tensor): ``(M, d)``, M >= 1.
        support_index (torch.Tensor): ``(M, k)`` of the anchors.
        weights (torch.Tensor): ``(M, k)`` of the anchors.
        confidence (torch.Tensor): ``(C, )`` :math:`\lambda` per class.
        means, roots, diag (torch.Tensor): From :func:`finalize_class_stats`.
        alpha (float): Dispersion of the calibrated rows. Defaults to 0.
        generator (torch.Generator, optional): Random generator.
        mean_transfer (str): See :func:`calibrated_mean`. Defaults to
            ``'interpolate'``.

    Returns:
        torch.Tensor: ``(G, d)`` transformed features.
    """
    use = use_anchor[:, None]
    k = support_index.size(1)
    own_index = labels[:, None].expand(-1, k)
    own_weight = torch.zeros(k, dtype=means.dtype, device=means.device)
    own_weight[0] = 1
    index = torch.where(use, support_index[anchor_rows], own_index)
    weight = torch.where(use, weights[anchor_rows].to(means), own_weight)
    lam = torch.where(use_anchor, confidence[labels].to(means),
                      torch.ones_like(means[:1, 0]))
    own_mean = means[labels]
    mean = calibrated_mean(
        torch.where(use, anchors[anchor_rows].to(means), own_mean),
        means[index], weight, lam, mean_transfer)
    # Exactly the class mean (the transfers' arithmetic could round it).
    mean = torch.where(use, mean, own_mean)
    noise = _gaussian_noise(roots[index], diag[index], generator)  # (G,k,d)
    scale = (lam[:, None] * weight).clamp_min(0).sqrt()[..., None]
    sample = mean + (scale * noise).sum(1)
    if alpha > 0:
        extra = torch.randn(
            sample.shape,
            generator=generator,
            dtype=sample.dtype,
            device=sample.device)
        sample = sample + math.sqrt(alpha) * extra * use
    return sample
