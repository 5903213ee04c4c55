# Copyright (c) mmlt contributors. All rights reserved.
"""Category-wise GHM with inter-category margins (Zhang et al., ICASSP 2022)
against independent numpy computations of its formulas."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from dist_utils import run_distributed
from mmpretrain.registry import MODELS

from mmlt.models.losses import (CategoryGHMLoss, accumulate_histogram,
                                adaptive_bin_index, adaptive_edges,
                                category_ghm_weights, category_histogram,
                                inter_category_margins, margin_logits,
                                rebin_histogram, uniform_edges)
from mmlt.models.losses.category_ghm import MIN_BIN_WIDTH


# ---------------------------------------------------------------------------
# numpy references (loops over classes, samples and bins, as in the paper)
# ---------------------------------------------------------------------------
def np_margin_matrix(counts, gamma):
    s = np.asarray(counts, dtype=np.float64)
    return gamma * np.log(np.minimum(1.0, s[None, :] / s[:, None]))


def np_margin_ce(z, y, counts, gamma):
    """-log(e^{z_y} / sum_n e^{z_n + M_{y,n}}) per sample."""
    m = np_margin_matrix(counts, gamma)
    out = np.empty(len(y))
    for i, c in enumerate(y):
        out[i] = -(z[i, c] - np.log(np.sum(np.exp(z[i] + m[c]))))
    return out


def np_bin(g, edges_c):
    """Largest k with edges_c[k] <= g, at most bins - 1."""
    bins = len(edges_c) - 1
    k = 0
    while k + 1 < bins and edges_c[k + 1] <= g:
        k += 1
    return k


def np_ghm_weight(mass_c, width_c, k, smoothing):
    """Weight of bin k of one category: the inverse of its density relative
    to uniform, smoothed by `smoothing` times the mean density, over the
    category's accumulated distribution; a plain loop over the bins."""
    p = [a / sum(mass_c) for a in mass_c]
    r = [p[j] / width_c[j] for j in range(len(p))]
    mean_r = sum(p[j] * r[j] for j in range(len(p)))
    inv = [1.0 / (r[j] + smoothing * mean_r) for j in range(len(p))]
    return inv[k] / sum(p[j] * inv[j] for j in range(len(p)))


def np_category_ghm(g,
                    y,
                    num_classes,
                    bins,
                    hist,
                    edges,
                    momentum,
                    smoothing=0.5):
    """Weights and the accumulated histogram, class by class."""
    idx = np.array([np_bin(gi, edges[c]) for gi, c in zip(g, y)])
    h = np.zeros((num_classes, bins))
    for c, k in zip(y, idx):
        h[c, k] += 1
    mass = hist.copy()
    w = np.zeros(len(y))
    for c in range(num_classes):
        members = np.flatnonzero(y == c)
        if members.size == 0:
            continue
        mass[c] = momentum * hist[c] + (1 - momentum) * h[c]
        width = np.diff(edges[c])
        for i in members:
            w[i] = np_ghm_weight(mass[c], width, idx[i], smoothing)
    return w, mass


def np_adaptive_edges(edges, mass, min_width=MIN_BIN_WIDTH):
    """Equal-mass quantiles of the piecewise-uniform histogram, per class."""
    num_classes, bins = mass.shape
    new = edges.copy()
    for c in range(num_classes):
        total = mass[c].sum()
        if total <= 0:
            continue
        cdf = np.concatenate([[0], np.cumsum(mass[c])])
        for k in range(1, bins):
            t = k / bins * total
            j = max(i for i in range(bins) if cdf[i] <= t)  # last <= t
            frac = (t - cdf[j]) / (cdf[j + 1] - cdf[j])
            new[c, k] = edges[c, j] + frac * (edges[c, j + 1] - edges[c, j])
        for k in range(1, bins + 1):  # forward: steps >= min_width
            new[c, k] = max(new[c, k], new[c, k - 1] + min_width)
        new[c, bins] = edges[c, bins]
        for k in range(bins - 1, -1, -1):  # backward: keep the last edge
            new[c, k] = min(new[c, k], new[c, k + 1] - min_width)
    return new


def np_loss(z, y, counts, gamma, inter, bins, hist, edges, momentum):
    """Per-sample weighted losses, weights and new histogram."""
    ce = np_margin_ce(z, y, counts, gamma if inter else 0.0)
    g = 1 - np.exp(-ce)
    w, mass = np_category_ghm(g, y, len(counts), bins, hist, edges, momentum)
    return w * ce, w, mass


def make_batch(seed, n=24, num_classes=5, dtype=torch.float64):
    rng = np.random.default_rng(seed)
    y = np.concatenate([
        np.arange(num_classes - 1),
        rng.integers(0, num_classes - 1, n - num_classes + 1)
    ])
    z = rng.normal(scale=2.0, size=(n, num_classes))
    return z, y, torch.tensor(z, dtype=dtype), torch.tensor(y)


# ---------------------------------------------------------------------------
# Inter-category margins
# ---------------------------------------------------------------------------
def test_margin_rows_match_matrix(counts, data):
    z, y = data
    scaled = torch.tensor(0.8 * np.log(counts.astype(np.float64)))
    rows = inter_category_margins(scaled, torch.tensor(y))
    np.testing.assert_allclose(
        rows.numpy(), np_margin_matrix(counts, 0.8)[y], atol=1e-12)
    assert (rows <= 0).all()
    # The shifted form has the same cross-entropy.
    shifted = margin_logits(torch.tensor(z), torch.tensor(y), scaled)
    np.testing.assert_allclose(
        F.cross_entropy(shifted, torch.tensor(y), reduction='none').numpy(),
        np_margin_ce(z, y, counts, 0.8),
        rtol=1e-10)


@pytest.mark.parametrize('gamma', [0.0, 0.8, 2.0])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_intra_off_equals_margin_softmax(counts, data, gamma, reduction):
    z, y = data
    loss_fn = CategoryGHMLoss(
        intra=False,
        gamma=gamma,
        class_counts=counts.tolist(),
        reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    elem = np_margin_ce(z, y, counts, gamma)
    expected = {'none': elem, 'mean': elem.mean(), 'sum': elem.sum()}
    np.testing.assert_allclose(out.numpy(), expected[reduction], rtol=1e-10)
    # Both terms off: plain softmax cross-entropy.
    plain = CategoryGHMLoss(inter=False, intra=False)
    torch.testing.assert_close(
        plain(torch.tensor(z), torch.tensor(y)),
        F.cross_entropy(torch.tensor(z), torch.tensor(y)))


# ---------------------------------------------------------------------------
# Intra-category weights
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
@pytest.mark.parametrize('inter', [False, True])
def test_three_steps_match_numpy(density, inter):
    """Loss, weights, histograms and edges over three training steps."""
    counts = [60, 30, 12, 5, 2]
    bins, momentum, gamma = 6, 0.7, 0.8
    loss_fn = CategoryGHMLoss(
        num_classes=5,
        inter=inter,
        gamma=gamma,
        density=density,
        bins=bins,
        momentum=momentum,
        smoothing=0.5,
        class_counts=counts,
        reduction='none')
    hist = np.zeros((5, bins))
    edges = np.tile(np.linspace(0, 1, bins + 1), (5, 1))
    for step in range(3):
        z, y, z_t, y_t = make_batch(step)
        out = loss_fn(z_t, y_t)
        elem, w, mass = np_loss(z, y, counts, gamma, inter, bins, hist, edges,
                                momentum)
        np.testing.assert_allclose(out.numpy(), elem, rtol=1e-5)
        if density == 'adaptive':
            new = np_adaptive_edges(edges, mass)
            # The histogram moves onto the new edges, keeping its totals.
            mass = np.stack([
                np.diff(
                    np.interp(new[c], edges[c],
                              np.concatenate([[0], np.cumsum(mass[c])])))
                for c in range(5)
            ])
            edges = new
            np.testing.assert_allclose(loss_fn.edges.numpy(), edges, atol=1e-6)
        hist = mass
        np.testing.assert_allclose(loss_fn.hist.numpy(), hist, atol=1e-5)
    # Class 4 never appeared: its state is untouched.
    assert (loss_fn.hist[4] == 0).all()
    if density == 'adaptive':
        torch.testing.assert_close(loss_fn.edges[4], uniform_edges(bins)[0])


def test_weights_average_to_one_over_the_histogram():
    """Every category's weights average to 1 over its accumulated
    distribution, whatever the masses (zeros, subnormals, ratios of 1e30)
    and widths; every weight is at most 1 + 1/rho, so the effective sample
    size over the distribution is at least rho / (1 + rho)."""
    gen = torch.Generator().manual_seed(0)
    num_classes, bins = 64, 7
    mass = torch.rand(num_classes, bins, generator=gen, dtype=torch.float64)
    mass = mass * 10**(30 * torch.rand(
        num_classes, bins, generator=gen, dtype=torch.float64) - 15)
    mass[mass < 1e-12] = 0
    mass[::5, 1::2] = 0
    mass[3, :] = torch.tensor([1e-39, 0, 0, 0, 5.0, 0, 0])
    widths = torch.rand(
        num_classes, bins, generator=gen, dtype=torch.float64) + 1e-4
    widths /= widths.sum(1, keepdim=True)
    label = torch.arange(num_classes).repeat_interleave(bins)
    bin_index = torch.arange(bins).repeat(num_classes)
    for smoothing in (0.05, 0.5, 4.0):
        for width in (None, widths):
            w = category_ghm_weights(label, bin_index, mass, width,
                                     smoothing).view(num_classes, bins)
            assert torch.isfinite(w).all() and (w > 0).all()
            assert w.max() <= 1 + 1 / smoothing + 1e-9
            p = mass / mass.sum(1, keepdim=True)
            torch.testing.assert_close(
                (p * w).sum(1), torch.ones(num_classes, dtype=torch.float64))
            ess = 1 / (p * w**2).sum(1)
            assert (ess >= smoothing / (1 + smoothing) - 1e-9).all()


def test_weights_by_hand():
    # Masses 3, 1, 0 on three uniform bins: p = 3/4, 1/4, 0, densities
    # relative to uniform r = 9/4, 3/4, 0, mean density 15/8; rho = 1/2
    # adds 15/16: 1/(r + 15/16) = 16/51, 16/27, 16/15, whose p-average is
    # 176/459. Weights 9/11, 17/11 and 153/55 (the empty bin, bounded).
    mass = torch.tensor([[3.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    label = torch.tensor([0, 0, 0, 1])
    bin_index = torch.tensor([0, 1, 2, 2])
    w = category_ghm_weights(label, bin_index, mass, smoothing=0.5)
    torch.testing.assert_close(w,
                               torch.tensor([9 / 11, 17 / 11, 153 / 55, 1.0]))
    # Widths: a bin twice as wide is half as dense.
    widths = torch.tensor([[0.2, 0.4, 0.4], [0.2, 0.3, 0.5]])
    w = category_ghm_weights(label[:3], bin_index[:3], mass, widths, 0.5)
    expected = [
        np_ghm_weight([3.0, 1.0, 0.0], [0.2, 0.4, 0.4], k, 0.5)
        for k in range(3)
    ]
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)


def test_momentum_update_by_hand():
    running = torch.tensor([[4.0, 0.0, 2.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    counts = torch.tensor([[0.0, 2.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    out = accumulate_histogram(running, counts, 0.75)
    # Present rows: 0.75 * running + 0.25 * counts; row 1 is absent.
    expected = torch.tensor([[3.0, 0.5, 1.75], [1.0, 1.0, 1.0],
                             [0.25, 0.0, 0.0]])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(
        accumulate_histogram(running, counts, 0.0),
        torch.where(counts.sum(1, keepdim=True) > 0, counts, running))
    # GHM-C's rule: only the bins that received samples move.
    out = accumulate_histogram(running, counts, 0.75, rule='bin')
    expected = torch.tensor([[4.0, 0.5, 1.75], [1.0, 1.0, 1.0],
                             [0.25, 0.0, 0.0]])
    torch.testing.assert_close(out, expected)
    # A mass decayed below float32's smallest normal number becomes 0.
    out = accumulate_histogram(
        torch.tensor([[2e-38, 1.0]]), torch.tensor([[0.0, 1.0]]), 0.5)
    assert out[0, 0] == 0 and out[0, 1] == 1
    with pytest.raises(ValueError, match="`rule` must be 'category' or"):
        accumulate_histogram(running, counts, 0.5, rule='sample')


# ---------------------------------------------------------------------------
# Finite under any history (regressions: NaN after ~840 steps)
# ---------------------------------------------------------------------------
def _easy_and_hard_logits(n, hard, num_classes=3, label=0):
    """Logits of class `label` samples: g ~ 0.005 (easy) or g ~ 0.95."""
    z = torch.zeros(n, num_classes)
    z[:, label] = -3.0 if hard else 6.0
    return z, torch.full((n, ), label)


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
def test_subnormal_mass_in_empty_bin_gives_finite_weights(density):
    """A bin that decayed to 1e-39 (a float32 subnormal whose reciprocal
    overflows) and receives no sample must not poison its category."""
    loss_fn = CategoryGHMLoss(
        num_classes=3, inter=False, density=density, momentum=0.9)
    loss_fn.hist[0] = torch.tensor([5.0, 1e-39] + [0.0] * 7 + [1e-39])
    z, y = _easy_and_hard_logits(8, hard=False)
    for mode in (loss_fn.eval, loss_fn.train):
        mode()
        w = loss_fn.intra_weights(F.cross_entropy(z, y, reduction='none'), y)
        assert torch.isfinite(w).all() and (w > 0).all()
        assert torch.isfinite(loss_fn(z, y))


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
@pytest.mark.parametrize('accumulate', ['category', 'bin'])
def test_never_again_hit_bin_stays_finite(density, accumulate):
    """One batch of hard samples, then 1,500 batches of easy ones at
    momentum 0.9: the hard samples' bin is never hit again (its mass decays
    through the subnormal range to 0 under the category rule)."""
    loss_fn = CategoryGHMLoss(
        num_classes=3,
        inter=False,
        density=density,
        momentum=0.9,
        accumulate=accumulate)
    z_hard, y = _easy_and_hard_logits(16, hard=True)
    z_easy, _ = _easy_and_hard_logits(16, hard=False)
    z_easy[::4, 0] = 4.0  # two easy bins, so some mass moves
    assert torch.isfinite(loss_fn(z_hard, y))
    for step in range(1500):
        loss = loss_fn(z_easy, y)
        assert torch.isfinite(loss), f'step {step}'
    assert torch.isfinite(loss_fn.hist).all()
    # Finally a hard sample comes back: bounded weight, finite loss.
    w = loss_fn.intra_weights(
        F.cross_entropy(z_hard[:1], y[:1], reduction='none'), y[:1])
    assert torch.isfinite(w).all() and w.max() <= 1 + 1 / loss_fn.smoothing


def _fixed_batch():
    """10 categories, batch 128, like Fashion-MNIST-LT: category c has
    n_c samples, most of them easy, 1-3 hard or intermediate."""
    counts = [40, 28, 18, 13, 9, 7, 5, 4, 2, 2]
    g = []
    for c, n in enumerate(counts):
        rows = np.full(n, 0.02)
        rows[0] = 0.97
        if n > 3:
            rows[1] = 0.55
            rows[2] = 0.3
        g.append(rows)
    g = torch.tensor(np.concatenate(g), dtype=torch.float32)
    y = torch.tensor(np.repeat(np.arange(10), counts))
    return -torch.log1p(-g), y


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
@pytest.mark.parametrize('smoothing', [0.5, 0.25])
def test_weight_bounds_on_a_fixed_batch(density, smoothing):
    """The batch's own distribution accumulated: no sample weighs more than
    1 + 1/rho, and each category keeps an effective sample size of at least
    rho / (1 + rho) of its samples (with uniform bins the old
    batch-normalised weights gave the hard samples of the first category
    weight 10 and that category an effective size of 0.13 of its samples;
    these weights give at most 2.6 and 0.77 at rho = 0.5)."""
    loss_fn = CategoryGHMLoss(
        num_classes=10,
        inter=False,
        density=density,
        momentum=0.9,
        smoothing=smoothing)
    loss, y = _fixed_batch()
    for _ in range(150):
        w = loss_fn.intra_weights(loss, y)
    assert w.max() <= 1 + 1 / smoothing + 1e-5
    for c in range(10):
        wc = w[y == c].double()
        ess = wc.sum()**2 / (wc**2).sum() / wc.numel()
        assert ess >= smoothing / (1 + smoothing) - 1e-5, (c, ess)
        if density == 'uniform':
            # The distribution is the batch's: the weights average to 1.
            # (Adaptive bins re-bin the mass, spreading it over each bin.)
            np.testing.assert_allclose(wc.mean().item(), 1.0, rtol=1e-4)


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
def test_weights_emphasise_hard_samples_whatever_the_batch(density):
    """Behaviour the paper claims (hard samples of a category up, easy ones
    down), with the same strength whether the category brings 1 sample to
    every batch (1,000 classes in a batch of 512) or 64: the weights depend
    on the category's accumulated histogram, not on its batch count."""

    def run(n_per_batch, steps):
        gen = torch.Generator().manual_seed(n_per_batch)
        beta = torch.distributions.Beta(0.3, 3.0)
        loss_fn = CategoryGHMLoss(
            num_classes=1,
            inter=False,
            density=density,
            momentum=0.9,
            smoothing=0.5)
        ws, gs = [], []
        for step in range(steps):
            torch.manual_seed(int(torch.randint(2**31, (1, ), generator=gen)))
            g = beta.sample((n_per_batch, )).clamp(1e-6, 1 - 1e-6)
            w = loss_fn.intra_weights(-torch.log1p(-g),
                                      torch.zeros(n_per_batch, dtype=int))
            if step >= steps // 3:
                ws.append(w)
                gs.append(g)
        w, g = torch.cat(ws), torch.cat(gs)
        return w[g > 0.5].mean() / w[g < 0.1].mean()

    one, many = run(1, 3000), run(64, 60)
    assert one > 1.5 and many > 1.5
    assert 1 / 1.8 < one / many < 1.8, (one, many)


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
@pytest.mark.parametrize('momentum', [0.0, 0.9, 0.999])
def test_unseen_and_empty_categories_finite(density, momentum):
    loss_fn = CategoryGHMLoss(
        num_classes=6,
        inter=True,
        density=density,
        momentum=momentum,
        class_counts=[100, 50, 20, 8, 3, 1])
    z = torch.randn(8, 6) * 4
    # Only classes 0 and 1 for a while.
    for _ in range(5):
        loss_fn(z, torch.tensor([0, 1] * 4))
    assert torch.isfinite(loss_fn.hist).all()
    assert (loss_fn.hist[2:] == 0).all()
    # A category seen for the first time, alone in its bin, and extreme
    # logits (p_y ~ 1 and ~ 0 exactly).
    z = torch.tensor([[30.0, 0, 0, 0, 0, 0], [0, -30.0, 0, 0, 0, 30.0],
                      [0, 0, 0, 0, 0, 30.0], [0, 0, 0, 0, 0, 30.0]])
    y = torch.tensor([0, 1, 5, 5])
    w = loss_fn.intra_weights(F.cross_entropy(z, y, reduction='none'), y)
    assert torch.isfinite(w).all() and (w > 0).all()
    out = loss_fn(z, y)
    assert torch.isfinite(out)
    for buf in loss_fn.buffers():
        assert torch.isfinite(buf).all()
    # Eval mode on a fresh loss: nothing accumulated yet.
    fresh = CategoryGHMLoss(
        num_classes=6, inter=False, density=density, momentum=momentum).eval()
    assert torch.isfinite(fresh(z, y))


@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
def test_weighted_loss_finite_check_names_the_cause(density):
    """A corrupted state (a NaN histogram loaded from a checkpoint) makes
    the weights NaN: the check on the *weighted* losses raises, naming the
    loss, the classes, the buffers and the fix; bad logits are named as
    such."""
    loss_fn = CategoryGHMLoss(num_classes=3, inter=False, density=density)
    loss_fn.hist[1, 2] = float('nan')
    z = torch.randn(6, 3)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    with pytest.raises(
            ValueError,
            match=r'CategoryGHMLoss: the intra-'
            r'category weighted losses \(the GHM weights of '
            r'classes \[1\] are inf/NaN.*buffers `hist` and '
            r'`edges`.*resume from an earlier checkpoint'):
        loss_fn(z, y)
    fresh = CategoryGHMLoss(num_classes=3, inter=False, density=density)
    z[2, 0] = float('nan')
    with pytest.raises(
            ValueError,
            match=r'CategoryGHMLoss: the \(margin\) '
            r'cross-entropies are not finite; check the input '
            r'logits'):
        fresh(z, y)


# ---------------------------------------------------------------------------
# Adaptive precision
# ---------------------------------------------------------------------------
def test_adaptive_edges_by_hand():
    edges = uniform_edges(4, 2).double()
    mass = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]],
                        dtype=torch.float64)
    new = adaptive_edges(edges, mass)
    # Quartiles of mass 2: 0.5 (half of bin 0), 1.0 (the end of the flat
    # part: bin 3's start) and 1.5 (half of bin 3); row 1 has no mass.
    torch.testing.assert_close(
        new,
        torch.tensor([[0, 0.125, 0.75, 0.875, 1.0], [0, 0.25, 0.5, 0.75, 1.0]],
                     dtype=torch.float64))
    np.testing.assert_allclose(new.numpy(),
                               np_adaptive_edges(edges.numpy(), mass.numpy()))
    # Equal mass on the new edges; totals kept.
    rebinned = rebin_histogram(mass, edges, new)
    torch.testing.assert_close(rebinned[0],
                               torch.full((4, ), 0.5, dtype=torch.float64))
    torch.testing.assert_close(rebinned[1], mass[1])
    # Everything in one spot: edges at least MIN_BIN_WIDTH apart.
    spike = torch.tensor([[0.0, 0.0, 5.0, 0.0]], dtype=torch.float64)
    squeezed = adaptive_edges(uniform_edges(4).double(), spike)
    assert (squeezed.diff() >= MIN_BIN_WIDTH * (1 - 1e-9)).all()
    assert squeezed[0, 0] == 0 and squeezed[0, -1] == 1


def test_adaptive_bin_index():
    edges = torch.tensor([[0, 0.1, 0.2, 1.0], [0, 0.5, 0.9, 1.0]])
    g = torch.tensor([0.0, 0.1, 0.15, 1.0, 0.49, 0.5, 0.95, 1.0])
    label = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    assert adaptive_bin_index(g, label,
                              edges).tolist() == [0, 1, 1, 2, 0, 1, 2, 2]
    counts = category_histogram(label, adaptive_bin_index(g, label, edges), 2,
                                3)
    assert counts.tolist() == [[1, 2, 1], [1, 1, 2]]


def test_adaptive_edges_track_beta_quantiles():
    """Fed samples of two known distributions, each category's edges settle
    at its quantiles (the fixed point of the rule)."""
    rng = np.random.default_rng(0)
    bins, momentum = 8, 0.9
    shapes = [(2.0, 5.0), (5.0, 1.5)]
    edges = uniform_edges(bins, 2).double()
    hist = torch.zeros(2, bins, dtype=torch.float64)
    label = torch.tensor([0] * 400 + [1] * 400)
    for _ in range(150):
        g = torch.tensor(
            np.concatenate([rng.beta(a, b, 400) for a, b in shapes]))
        index = adaptive_bin_index(g, label, edges)
        counts = category_histogram(label, index, 2, bins).double()
        mass = accumulate_histogram(hist, counts, momentum)
        new = adaptive_edges(edges, mass)
        hist = rebin_histogram(mass, edges, new)
        edges = new
    q = np.arange(1, bins) / bins
    for c, (a, b) in enumerate(shapes):
        expected = np.quantile(rng.beta(a, b, 400_000), q)
        np.testing.assert_allclose(edges[c, 1:-1].numpy(), expected, atol=0.02)


# ---------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
@pytest.mark.parametrize('inter', [False, True])
def test_gradcheck_and_detached_weights(density, inter):
    counts = [60, 30, 12, 5, 2]
    loss_fn = CategoryGHMLoss(
        num_classes=5,
        inter=inter,
        density=density,
        bins=4,
        momentum=0.5,
        class_counts=counts).double()
    for step in range(3):  # some state
        loss_fn(make_batch(step)[2], make_batch(step)[3])
    loss_fn.eval()  # the state stays fixed across gradcheck's calls
    z, y, z_t, y_t = make_batch(7, n=8)
    z_t.requires_grad_()
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y_t), (z_t, ))
    # The gradient treats the weights as constants: w_i (p~ - e_y) / N.
    loss_fn(z_t, y_t).backward()
    w = loss_fn.intra_weights(
        F.cross_entropy(
            margin_logits(z_t.detach(), y_t,
                          loss_fn.scaled_log_counts.double())
            if inter else z_t.detach(),
            y_t,
            reduction='none'), y_t)
    m = np_margin_matrix(counts, 0.8 if inter else 0.0)[y]
    p = np.exp(z + m)
    p /= p.sum(1, keepdims=True)
    expected = w.numpy()[:, None] * (p - np.eye(5)[y]) / len(y)
    np.testing.assert_allclose(
        z_t.grad.numpy(), expected, rtol=1e-5, atol=1e-12)


# ---------------------------------------------------------------------------
# Configuration errors
# ---------------------------------------------------------------------------
def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='CategoryGHMLoss', num_classes=7, bins=12))
    assert loss_fn.hist.shape == (7, 12) and loss_fn.edges.shape == (7, 13)
    assert 'edges' not in CategoryGHMLoss(
        num_classes=3, density='uniform').state_dict()
    with pytest.raises(ValueError, match='CategoryGHMLoss: `gamma`'):
        CategoryGHMLoss(num_classes=3, gamma=-0.1)
    for bins in (1, 0, 2.5, True):
        with pytest.raises(
                ValueError,
                match='CategoryGHMLoss: `bins` must '
                'be an integer >= 2'):
            CategoryGHMLoss(num_classes=3, bins=bins)
    for momentum in (1.0, -0.1, 1.5):
        with pytest.raises(
                ValueError,
                match='CategoryGHMLoss: `momentum` '
                r'must be a finite number in \[0, 1\)'):
            CategoryGHMLoss(num_classes=3, momentum=momentum)
    for smoothing in (0, -1.0, float('inf')):
        with pytest.raises(
                ValueError,
                match='CategoryGHMLoss: `smoothing` '
                r'must be a finite number in \(0, inf\)'):
            CategoryGHMLoss(num_classes=3, smoothing=smoothing)
    with pytest.raises(ValueError, match='`accumulate` must be one of'):
        CategoryGHMLoss(num_classes=3, accumulate='sample')
    with pytest.raises(ValueError, match='`density` must be one of'):
        CategoryGHMLoss(num_classes=3, density='quantile')
    with pytest.raises(TypeError, match='`inter` must be True or False'):
        CategoryGHMLoss(num_classes=3, inter='yes')
    with pytest.raises(ValueError, match='`num_classes` is required'):
        CategoryGHMLoss()
    with pytest.raises(
            ValueError, match='class_counts has 2 entries but '
            'num_classes is 3'):
        CategoryGHMLoss(num_classes=3, class_counts=[5, 1])
    with pytest.raises(
            RuntimeError, match='needs the per-class training '
            'counts'):
        CategoryGHMLoss(num_classes=3)(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(
            ValueError, match='num_classes has 3 entries but '
            'cls_score has 4'):
        CategoryGHMLoss(
            num_classes=3, inter=False)(torch.randn(2, 4), torch.tensor([0,
                                                                         1]))
    with pytest.raises(ValueError, match='soft targets'):
        CategoryGHMLoss(
            num_classes=3, inter=False)(torch.randn(2, 3),
                                        torch.full((2, 3), 1 / 3))


# ---------------------------------------------------------------------------
# State: checkpoints and distributed training
# ---------------------------------------------------------------------------
@pytest.mark.parametrize('density', ['uniform', 'adaptive'])
def test_state_dict_round_trip(density, tmp_path):
    kwargs = dict(
        num_classes=5,
        density=density,
        bins=6,
        momentum=0.8,
        class_counts=[60, 30, 12, 5, 2])
    loss_fn = CategoryGHMLoss(**kwargs)
    for step in range(4):
        loss_fn(*make_batch(step, dtype=torch.float32)[2:])
    path = tmp_path / 'loss.pth'
    torch.save(loss_fn.state_dict(), path)
    restored = CategoryGHMLoss(**kwargs)
    restored.load_state_dict(torch.load(path, weights_only=True))
    keys = {'hist'} | ({'edges'} if density == 'adaptive' else set())
    assert set(restored.state_dict()) == keys
    for key in keys:
        assert torch.equal(getattr(restored, key), getattr(loss_fn, key))
    # Resumed and uninterrupted losses continue identically.
    for step in range(4, 7):
        batch = make_batch(step, dtype=torch.float32)[2:]
        assert torch.equal(restored(*batch), loss_fn(*batch))
    assert torch.equal(restored.hist, loss_fn.hist)
    # Eval-mode calls read the state but do not change it.
    before = {k: v.clone() for k, v in loss_fn.state_dict().items()}
    loss_fn.eval()
    loss_fn(*make_batch(9, dtype=torch.float32)[2:])
    for key, value in loss_fn.state_dict().items():
        assert torch.equal(value, before[key])


def test_model_checkpoint_holds_the_state(tmp_path):
    """In a classifier, the state is saved and loaded with the model."""
    from mmengine.runner import load_checkpoint, save_checkpoint
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='CifarResNet', depth=8, in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=4,
            in_channels=64,
            loss=dict(
                type='CategoryGHMLoss',
                num_classes=4,
                class_counts=[30, 10, 4, 1])))
    model = MODELS.build(cfg)
    from mmpretrain.structures import DataSample
    samples = [DataSample().set_gt_label(i % 4) for i in range(8)]
    model.loss(torch.randn(8, 1, 28, 28), samples)
    hist = model.head.loss_module.hist.clone()
    assert hist.sum() > 0
    path = str(tmp_path / 'ckpt.pth')
    save_checkpoint({'state_dict': model.state_dict(), 'meta': {}}, path)
    fresh = MODELS.build(cfg)
    load_checkpoint(fresh, path, strict=True)
    assert torch.equal(fresh.head.loss_module.hist, hist)
    assert torch.equal(fresh.head.loss_module.edges,
                       model.head.loss_module.edges)


def _dist_steps(rank, world_size, batches):
    """Both densities in one process group: spawning ranks is the cost."""
    out = {}
    for density in ('uniform', 'adaptive'):
        loss_fn = CategoryGHMLoss(
            num_classes=5,
            density=density,
            bins=6,
            momentum=0.7,
            class_counts=[60, 30, 12, 5, 2])
        losses = []
        for z, y in batches:
            part = slice(rank * len(y) // world_size,
                         (rank + 1) * len(y) // world_size)
            losses.append(loss_fn(z[part], y[part]).item())
        out[density] = dict(state=loss_fn.state_dict(), losses=losses)
    return out


def test_two_ranks_match_one_rank():
    batches = [
        make_batch(20 + s, n=16, dtype=torch.float32)[2:] for s in range(4)
    ]
    two = run_distributed(_dist_steps, 2, batches)
    one = _dist_steps(0, 1, batches)
    for density, expected in one.items():
        assert expected['state']['hist'].sum() > 0
        for key, value in expected['state'].items():
            torch.testing.assert_close(two[0][density]['state'][key], value)
            torch.testing.assert_close(two[1][density]['state'][key], value)
        # Same global-batch weights: the ranks' mean losses average to the
        # single-rank loss.
        np.testing.assert_allclose(
            (np.array(two[0][density]['losses']) +
             np.array(two[1][density]['losses'])) / 2,
            expected['losses'],
            rtol=1e-5)


def _train(tmp_path, data_root, work_dir, **options):
    import uuid

    from mmengine.config import Config
    from mmengine.runner import Runner
    from test_tools.utils import tiny_config
    path = tiny_config(
        tmp_path,
        data_root,
        name='category_ghm.py',
        epochs=2,
        extra="model = dict(head=dict(loss=dict(_delete_=True, "
        "type='CategoryGHMLoss', num_classes=10, bins=5)))")
    cfg = Config.fromfile(path)
    # No random augmentation (its RNG is not in the checkpoint), no
    # validation.
    options['train_dataloader.dataset.dataset.pipeline'] = [
        dict(type='PackInputs')
    ]
    options['train_cfg.val_interval'] = 10
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_runner_resume_restores_the_histograms(tmp_path, fmnist_root):
    """1 epoch + resume ends with the state of 2 uninterrupted epochs."""
    import os.path as osp
    straight = _train(tmp_path, fmnist_root, tmp_path / 'straight')
    split = tmp_path / 'split'
    _train(tmp_path, fmnist_root, split, **{'train_cfg.max_epochs': 1})
    first = torch.load(
        osp.join(split, 'epoch_1.pth'), map_location='cpu',
        weights_only=True)['state_dict']
    resumed = _train(
        tmp_path,
        fmnist_root,
        split,
        resume=True,
        load_from=osp.join(split, 'epoch_1.pth'))
    a = straight.model.head.loss_module
    b = resumed.model.head.loss_module
    assert a.hist.sum() > 0
    # The second epoch changed the state: the comparison is not vacuous.
    assert not torch.equal(first['head.loss_module.hist'], a.hist)
    torch.testing.assert_close(b.hist, a.hist)
    torch.testing.assert_close(b.edges, a.edges)
