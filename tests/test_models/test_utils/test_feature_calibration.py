# Copyright (c) mmlt contributors. All rights reserved.
"""GLAG's AFG formulas against independent numpy computations."""
import numpy as np
import pytest
import torch

# yapf: disable
from mmlt.models.utils.feature_calibration import (anchor_bytes,
                                                   anchor_capacity,
                                                   calibrated_distribution,
                                                   calibrated_mean,
                                                   check_confidence,
                                                   cholesky_with_jitter,
                                                   choose_covariance_type,
                                                   class_moments,
                                                   covariance_memory_bytes,
                                                   finalize_class_stats,
                                                   inverse_tukey_transform,
                                                   pick_anchors,
                                                   sample_calibrated,
                                                   sample_class_gaussian,
                                                   sample_generated,
                                                   stage_two_memory_bytes,
                                                   support_set,
                                                   support_weights,
                                                   tukey_transform)

# yapf: enable


def _features(seed=0, n=40, d=4, num_classes=3):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 1.0, size=(n, d))  # skewed, non-negative
    y = np.concatenate([np.arange(num_classes), rng.integers(0, 2, n - 3)])
    return x, y


def test_tukey_transform_matches_numpy_and_inverts():
    x, _ = _features()
    t = torch.from_numpy(x)
    np.testing.assert_allclose(tukey_transform(t, 0.5).numpy(), np.sqrt(x))
    np.testing.assert_allclose(
        tukey_transform(t, 0.0).numpy(), np.log(x + 1e-6))
    for beta in (0.0, 0.5, 2.0):
        back = inverse_tukey_transform(tukey_transform(t, beta), beta)
        np.testing.assert_allclose(back.numpy(), x, rtol=1e-9, atol=1e-9)
    # Odd extension for negatives, monotone.
    neg = torch.tensor([-4.0, 0.0, 9.0])
    assert tukey_transform(neg, 0.5).tolist() == [-2.0, 0.0, 3.0]
    with pytest.raises(ValueError, match='non-negative'):
        tukey_transform(neg, 0.0)
    with pytest.raises(ValueError, match='beta'):
        tukey_transform(t, -1.0)


def test_full_statistics_match_numpy():
    x, y = _features()
    xt = np.sqrt(x)
    half = len(x) // 2
    # Moments of two halves add up (as over batches and ranks).
    m1 = class_moments(
        torch.from_numpy(xt[:half]), torch.from_numpy(y[:half]), 3)
    m2 = class_moments(
        torch.from_numpy(xt[half:]), torch.from_numpy(y[half:]), 3)
    moments = {k: m1[k] + m2[k] for k in m1}
    mean, root, diag = finalize_class_stats(moments, 'full')
    for c in range(2):
        rows = xt[y == c]
        np.testing.assert_allclose(mean[c].numpy(), rows.mean(0), rtol=1e-10)
        cov = (root[c] @ root[c].T + torch.diag(diag[c])).numpy()
        np.testing.assert_allclose(
            cov, np.cov(rows, rowvar=False, ddof=1), rtol=1e-8, atol=1e-10)
    # Class 2 has one sample: zero covariance, regularised, finite.
    assert (y == 2).sum() == 1
    assert torch.isfinite(root[2]).all()
    assert (root[2] @ root[2].T).abs().max() < 1e-4


def test_diagonal_and_lowrank_statistics():
    rng = np.random.default_rng(1)
    d, r = 6, 3
    # Class 0 lies in a 3-dim subspace (rank-3 covariance): Nyström exact.
    basis = rng.normal(size=(r, d))
    x0 = rng.normal(size=(50, r)) @ basis + 5.0
    x1 = rng.normal(size=(50, d))
    x = np.concatenate([x0, x1])
    y = np.repeat([0, 1], 50)
    sketch = torch.from_numpy(rng.normal(size=(d, r)))
    moments = class_moments(
        torch.from_numpy(x), torch.from_numpy(y), 2, 'lowrank', sketch)
    mean, root, diag = finalize_class_stats(moments, 'lowrank', sketch)
    assert root.shape == (2, d, r)
    for c, rows in ((0, x0), (1, x1)):
        cov = np.cov(rows, rowvar=False, ddof=1)
        approx = (root[c] @ root[c].T + torch.diag(diag[c])).numpy()
        # Variances are exact in any case.
        np.testing.assert_allclose(np.diag(approx), np.diag(cov), rtol=1e-8)
        if c == 0:
            np.testing.assert_allclose(approx, cov, rtol=1e-6, atol=1e-8)
    moments = class_moments(
        torch.from_numpy(x), torch.from_numpy(y), 2, 'diagonal')
    mean, root, diag = finalize_class_stats(moments, 'diagonal')
    assert root.shape == (2, d, 0)
    np.testing.assert_allclose(diag[1].numpy(), x1.var(0, ddof=1), rtol=1e-8)


def test_cholesky_with_jitter_singular_and_indefinite():
    singular = torch.ones(2, 3, 3, dtype=torch.float64)  # rank 1
    singular[1] = torch.diag(torch.tensor([1.0, -1e-3, 2.0]))  # indefinite
    factor = cholesky_with_jitter(singular)
    assert torch.isfinite(factor).all()
    np.testing.assert_allclose(
        (factor[0] @ factor[0].T).numpy(), np.ones((3, 3)), atol=1e-3)


def test_memory_and_automatic_choice():
    # iNaturalist 2018 with ResNet-50 features.
    full = covariance_memory_bytes(8142, 2048, 'full')
    assert full == 8142 * 2048 * 2050 * 4
    assert covariance_memory_bytes(8142, 2048, 'lowrank', 64) == \
        8142 * 2048 * 66 * 4
    assert choose_covariance_type(100, 64) == 'full'
    # The kept rank-64 factors (4.4 GB) fit 8 GiB, but not with the float64
    # running sums (8.8 GB) of the statistics pass (issue 19).
    assert choose_covariance_type(8142, 2048, 64, 16 * 1024**3) == 'lowrank'
    assert choose_covariance_type(8142, 2048, 64, 8 * 1024**3) == 'diagonal'
    assert choose_covariance_type(8142, 2048, 64, 1 * 1024**3) == 'diagonal'


@pytest.mark.parametrize('covariance_type', ['full', 'lowrank', 'diagonal'])
def test_stage_two_memory_counts_sums_and_temporaries(covariance_type):
    C, d, r, chunk = 8142, 2048, 32, 64
    rr = dict(full=d, lowrank=r, diagonal=0)[covariance_type]
    parts = stage_two_memory_bytes(C, d, covariance_type, r, chunk)
    # Kept (float32): mean, variance, factor; teacher weight and bias; count.
    assert parts['statistics'] == 4 * (C * d * (rr + 2) + C * (d + 1) + C)
    # float64 sums of class_moments: count, sum, squares, outer / sketch.
    moments = class_moments(
        torch.zeros(1, 8), torch.zeros(1, dtype=torch.long), 3,
        covariance_type, torch.zeros(8, 2))
    numbers = sum(v.numel() for v in moments.values())
    small = stage_two_memory_bytes(3, 8, covariance_type, 2, chunk)
    assert small['running_sums'] == 8 * numbers
    assert parts['running_sums'] == 8 * C * (1 + 2 * d + d * rr)
    # Finalisation: 64 classes at a time, three d x r matrices, a few d.
    assert parts['finalisation'] == 8 * chunk * (3 * d + 3 * d * rr +
                                                 3 * rr * rr)
    assert parts['total'] == (
        parts['statistics'] + parts['running_sums'] + parts['finalisation'])
    if covariance_type == 'lowrank':
        # The iNaturalist case: 2.3 GB kept, 7.0 GB at the peak.
        assert abs(parts['statistics'] / 1e9 - 2.34) < 0.01
        assert abs(parts['total'] / 1e9 - 6.98) < 0.01


def test_finalising_in_chunks_equals_all_at_once():
    rng = np.random.default_rng(8)
    x = torch.from_numpy(rng.gamma(2.0, 1.0, size=(200, 5)))
    y = torch.from_numpy(rng.integers(0, 7, 200))
    sketch = torch.from_numpy(rng.normal(size=(5, 2)))
    for covariance_type in ('full', 'lowrank', 'diagonal'):
        moments = class_moments(x, y, 7, covariance_type, sketch)
        whole = finalize_class_stats(moments, covariance_type, sketch)
        parts = [
            finalize_class_stats({k: v[s:s + 3]
                                  for k, v in moments.items()},
                                 covariance_type, sketch)
            for s in range(0, 7, 3)
        ]
        for i in range(3):
            assert torch.allclose(
                torch.cat([p[i] for p in parts]), whole[i],
                atol=1e-12), covariance_type


def test_support_set_and_weights_match_brute_force():
    rng = np.random.default_rng(2)
    means = rng.normal(size=(5, 3))
    counts = np.array([100, 80, 60, 10, 5])
    feats = rng.normal(size=(4, 3))
    labels = np.array([3, 4, 2, 3])
    index, dist = support_set(
        torch.from_numpy(feats), torch.from_numpy(labels),
        torch.from_numpy(means), torch.from_numpy(counts), 2)
    for i, (f, c) in enumerate(zip(feats, labels)):
        cand = [j for j in range(5) if counts[j] > counts[c]]
        d = {j: np.linalg.norm(f - means[j]) for j in cand}
        best = sorted(cand, key=d.get)[:2]
        assert index[i].tolist() == best
        np.testing.assert_allclose(dist[i].numpy(), [d[j] for j in best])
    w = support_weights(dist, torch.from_numpy(counts)[index])
    raw = counts[index.numpy()] / (dist.numpy() + 1e-6)
    np.testing.assert_allclose(w.numpy(), raw / raw.sum(1, keepdims=True))
    assert torch.allclose(
        support_weights(dist, index, 'uniform'),
        torch.full((4, 2), 0.5, dtype=dist.dtype))
    # Class 1 has one richer class only.
    with pytest.raises(ValueError, match='class 1 .* fewer than k=2'):
        support_set(
            torch.from_numpy(feats[:1]), torch.tensor([1]),
            torch.from_numpy(means), torch.from_numpy(counts), 2)


def test_calibrated_distribution_matches_numpy_and_rejects_bad_lambda():
    rng = np.random.default_rng(3)
    x = rng.normal(size=3)
    mu = rng.normal(size=(2, 3))
    a = rng.normal(size=(2, 3, 3))
    sig = a @ a.transpose(0, 2, 1)
    w = np.array([0.3, 0.7])
    lam, alpha = 0.6, 0.1
    mean, cov = calibrated_distribution(
        *map(torch.from_numpy, (x, mu, sig, w)), lam, alpha)
    np.testing.assert_allclose(mean.numpy(),
                               lam * (0.3 * mu[0] + 0.7 * mu[1]) + 0.4 * x)
    np.testing.assert_allclose(
        cov.numpy(),
        lam * (0.3 * sig[0] + 0.7 * sig[1]) + alpha * np.eye(3))
    for bad in (-0.1, 1.5, float('nan')):
        with pytest.raises(ValueError, match=r'\[0, 1\]'):
            calibrated_distribution(*map(torch.from_numpy, (x, mu, sig, w)),
                                    bad)
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        check_confidence('X', [0.5, 2.0])


@pytest.mark.parametrize('covariance_type', ['full', 'lowrank', 'diagonal'])
def test_samples_follow_the_calibrated_gaussian(covariance_type):
    rng = np.random.default_rng(4)
    d, r = 3, 2
    x = np.concatenate([
        rng.normal(size=(300, r)) @ rng.normal(size=(r, d)) + 2.0,
        rng.normal(size=(300, d)) * [1.0, 2.0, 0.5] - 1.0,
        rng.normal(size=(5, d)),
    ])
    y = np.repeat([0, 1, 2], [300, 300, 5])
    sketch = torch.from_numpy(rng.normal(size=(d, r)))
    moments = class_moments(
        torch.from_numpy(x), torch.from_numpy(y), 3, covariance_type, sketch)
    means, roots, diag = finalize_class_stats(moments, covariance_type, sketch)
    covs = roots @ roots.transpose(1, 2) + torch.diag_embed(diag)
    anchor = torch.from_numpy(x[-1])
    index = torch.tensor([0, 1])
    w = torch.tensor([0.4, 0.6], dtype=torch.float64)
    lam, alpha = 0.7, 0.05
    mean, cov = calibrated_distribution(anchor, means[index], covs[index], w,
                                        lam, alpha)
    n = 100_000
    gen = torch.Generator().manual_seed(0)
    draws = sample_calibrated(
        anchor.expand(n, d), index.expand(n, 2), w.expand(n, 2),
        torch.full((n, ), lam, dtype=torch.float64), means, roots, diag, alpha,
        gen)
    assert torch.isfinite(draws).all()
    emp_mean = draws.mean(0)
    emp_cov = torch.cov(draws.T)
    scale = cov.diagonal().sqrt()
    # Standard error of a mean: sigma / sqrt(n) ~ 0.003 sigma.
    assert ((emp_mean - mean).abs() / scale).max() < 0.02
    assert ((emp_cov - cov).abs() / torch.outer(scale, scale)).max() < 0.03
    # Head classes: their own Gaussian.
    own = sample_class_gaussian(
        torch.ones(n, dtype=torch.long), means, roots, diag, gen)
    scale = covs[1].diagonal().sqrt()
    assert ((own.mean(0) - means[1]).abs() / scale).max() < 0.02
    assert ((torch.cov(own.T) - covs[1]).abs() /
            torch.outer(scale, scale)).max() < 0.03


def test_support_weightings_match_numpy():
    rng = np.random.default_rng(5)
    dist = np.abs(rng.normal(size=(6, 3))) + 0.1
    counts = rng.integers(2, 5000, size=(6, 3)).astype(float)
    numerators = {
        'count_distance': counts,
        'sqrt_count_distance': np.sqrt(counts),
        'log_count_distance': np.log1p(counts),
        'distance': np.ones_like(counts),
    }
    for name, num in numerators.items():
        raw = num / (dist + 1e-6)
        got = support_weights(
            torch.from_numpy(dist), torch.from_numpy(counts), name)
        np.testing.assert_allclose(got.numpy(),
                                   raw / raw.sum(1, keepdims=True))
    np.testing.assert_allclose(
        support_weights(
            torch.from_numpy(dist), torch.from_numpy(counts),
            'uniform').numpy(), np.full((6, 3), 1 / 3))
    # A class 13x richer but twice as far: n/d gives it 0.87, and each
    # damping less, down to 1/3 under distance alone.
    dist = torch.tensor([[1.0, 2.0]])
    counts = torch.tensor([[464.0, 6000.0]])
    far = [
        float(support_weights(dist, counts, name)[0, 1])
        for name in ('count_distance', 'sqrt_count_distance',
                     'log_count_distance', 'distance')
    ]
    assert far == sorted(far, reverse=True) and far[0] > 0.85
    assert far[2] < 0.5 and abs(far[3] - 1 / 3) < 1e-6
    with pytest.raises(ValueError, match='weighting'):
        support_weights(dist, counts, 'count')


def test_calibrated_mean_transfers_match_numpy():
    rng = np.random.default_rng(6)
    g, k, d = 5, 3, 4
    x = rng.normal(size=(g, d))
    mu = rng.normal(size=(g, k, d))
    w = rng.random((g, k))
    w /= w.sum(1, keepdims=True)
    lam = rng.random(g)
    args = [torch.from_numpy(a) for a in (x, mu, w, lam)]
    support = (w[..., None] * mu).sum(1)
    np.testing.assert_allclose(
        calibrated_mean(*args, 'interpolate').numpy(),
        lam[:, None] * support + (1 - lam[:, None]) * x)
    # Yang et al. (ICLR 2021): with uniform weights, the plain average of
    # the k support means and the sample.
    uniform = torch.full((g, k), 1 / k, dtype=torch.float64)
    np.testing.assert_allclose(
        calibrated_mean(args[0], args[1], uniform, args[3], 'average').numpy(),
        (mu.sum(1) + x) / (k + 1))
    np.testing.assert_allclose(
        calibrated_mean(*args, 'average').numpy(), (k * support + x) / (k + 1))
    np.testing.assert_allclose(
        calibrated_mean(*args, 'covariance_only').numpy(), x)
    with pytest.raises(ValueError, match='mean_transfer'):
        calibrated_mean(*args, 'shift')


@pytest.mark.parametrize('transfer',
                         ['interpolate', 'average', 'covariance_only'])
def test_calibrated_distribution_transfers(transfer):
    rng = np.random.default_rng(7)
    x = rng.normal(size=3)
    mu = rng.normal(size=(2, 3))
    a = rng.normal(size=(2, 3, 3))
    sig = a @ a.transpose(0, 2, 1)
    w = np.array([0.3, 0.7])
    lam, alpha = 0.6, 0.1
    mean, cov = calibrated_distribution(
        *map(torch.from_numpy, (x, mu, sig, w)), lam, alpha, transfer)
    want = dict(
        interpolate=lam * (w @ mu) + (1 - lam) * x,
        average=(x + 2 * (w @ mu)) / 3,
        covariance_only=x)[transfer]
    np.testing.assert_allclose(mean.numpy(), want)
    # The covariance is borrowed alike in every transfer.
    np.testing.assert_allclose(
        cov.numpy(),
        lam * (0.3 * sig[0] + 0.7 * sig[1]) + alpha * np.eye(3))


def test_anchor_capacity_keeps_every_tail_sample_within_budget():
    counts = torch.tensor([1000, 500, 300, 100, 40, 10])
    tail = torch.tensor([False, False, True, True, True, True])
    per = anchor_bytes(8, 2)
    assert per == 8 * 4 + 2 * 12
    # Everything fits: every tail sample, no cap.
    cap, limit = anchor_capacity(counts, tail, 8, 2, 10**9)
    assert cap.tolist() == [0, 0, 300, 100, 40, 10] and limit is None
    # Budget for 200 anchors: the largest A with sum min(n_c, A) <= 200 is
    # A = 75 (75 + 75 + 40 + 10 = 200).
    cap, limit = anchor_capacity(counts, tail, 8, 2, 200 * per)
    assert limit == 75 and cap.tolist() == [0, 0, 75, 75, 40, 10]
    brute = max(
        a for a in range(301)
        if sum(min(int(n), a) for n in counts[tail]) <= 200)
    assert brute == limit
    # An explicit cap applies first and is reported.
    cap, limit = anchor_capacity(counts, tail, 8, 2, 10**9, 64)
    assert limit == 64 and cap.tolist() == [0, 0, 64, 64, 40, 10]
    with pytest.raises(ValueError, match='memory_limit_gb'):
        anchor_capacity(counts, tail, 8, 2, 3 * per)


@pytest.mark.parametrize('transfer',
                         ['interpolate', 'average', 'covariance_only'])
def test_mixed_batch_draws_follow_both_gaussians(transfer):
    # One batch, no host-side split: the calibrated rows follow the
    # calibrated Gaussian of their anchor, the others their class's own.
    rng = np.random.default_rng(5)
    d = 3
    x = np.concatenate([
        rng.normal(size=(300, d)) * [1.0, 0.3, 2.0] + 2.0,
        rng.normal(size=(300, d)) * [1.0, 2.0, 0.5] - 1.0,
        rng.normal(size=(5, d)),
    ])
    y = np.repeat([0, 1, 2], [300, 300, 5])
    moments = class_moments(
        torch.from_numpy(x), torch.from_numpy(y), 3, 'full')
    means, roots, diag = finalize_class_stats(moments, 'full')
    covs = roots @ roots.transpose(1, 2) + torch.diag_embed(diag)
    anchors = torch.from_numpy(x[-2:])  # two anchors of class 2
    support = torch.tensor([[0, 1], [1, 0]])
    w = torch.tensor([[0.4, 0.6], [0.9, 0.1]], dtype=torch.float64)
    confidence = torch.tensor([1.0, 1.0, 0.7], dtype=torch.float64)
    alpha, n = 0.05, 60_000
    # Alternating rows: class 1 (own Gaussian), class 2 at anchor row 1.
    labels = torch.tensor([1, 2]).repeat(n)
    use = labels == 2
    rows = torch.ones_like(labels)
    draws = sample_generated(labels, use, rows, anchors, support, w,
                             confidence, means, roots, diag, alpha,
                             torch.Generator().manual_seed(0), transfer)
    mean, cov = calibrated_distribution(anchors[1], means[support[1]],
                                        covs[support[1]], w[1], 0.7, alpha,
                                        transfer)
    for got, (m, c) in ((draws[use], (mean, cov)), (draws[~use], (means[1],
                                                                  covs[1]))):
        scale = c.diagonal().sqrt()
        assert ((got.mean(0) - m).abs() / scale).max() < 0.03
        assert ((torch.cov(got.T) - c).abs() /
                torch.outer(scale, scale)).max() < 0.04


def test_pick_anchors_is_uniform_within_the_class():
    count = torch.tensor([0, 3, 1])
    offset = count.cumsum(0) - count
    labels = torch.tensor([1, 2]).repeat(30_000)
    rows = pick_anchors(labels, count, offset,
                        torch.Generator().manual_seed(0))
    share = torch.bincount(rows[labels == 1], minlength=4)[:3] / 30_000
    assert torch.allclose(share, torch.full((3, ), 1 / 3), atol=0.01)
    assert rows[labels == 2].eq(3).all()
    # A class without anchors gets a valid row (never used).
    assert pick_anchors(torch.tensor([0]), count, offset).item() == 0


def test_mixed_batch_draws_on_the_meta_device():
    m = dict(device='meta')
    labels = torch.zeros(6, dtype=torch.long, **m)
    out = sample_generated(labels, labels.bool(), labels,
                           torch.zeros(4, 3, **m),
                           torch.zeros(4, 2, dtype=torch.long, **m),
                           torch.zeros(4, 2, **m), torch.zeros(5, **m),
                           torch.zeros(5, 3, **m), torch.zeros(5, 3, 3, **m),
                           torch.zeros(5, 3, **m), 0.1)
    assert out.shape == (6, 3) and out.device.type == 'meta'
