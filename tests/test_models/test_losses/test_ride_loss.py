# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE's distribution-aware diversity loss against a numpy computation of
the formulas of Wang et al. (ICLR 2021) and the authors' RIDELoss."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.losses import (RIDELoss, deferred_reweighting_weights,
                                ride_diversity_temperature, ride_loss)


def np_log_softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def np_margins(counts, max_m):
    m = np.asarray(counts, dtype=np.float64)**-0.25
    return m * (max_m / m.max())


def np_temperature(counts, f):
    p = np.asarray(counts, dtype=np.float64)
    p = p / p.sum()
    t = len(p) * p * f + 1 - f
    return t / t.max()


def np_ride(z, y, counts, s, max_m, factor, weight=None, temp=1.0):
    """Sum over experts of the weighted LDAM CE on s-scaled logits and
    factor * mean(T)^2 * KL(softmax(mean z / T) || softmax(z_i / T))."""
    num_experts, n, c = z.shape
    w = np.ones(c) if weight is None else np.asarray(weight)
    temp = np.broadcast_to(np.asarray(temp, dtype=np.float64), (c, ))
    mean = z.mean(0)
    q = np.exp(np_log_softmax(mean / temp))
    total = 0.0
    for i in range(num_experts):
        adjusted = z[i].copy()
        adjusted[np.arange(n), y] -= s * np_margins(counts, max_m)[y]
        ce = -np_log_softmax(adjusted)[np.arange(n), y]
        total += (w[y] * ce).sum() / w[y].sum()
        log_p = np_log_softmax(z[i] / temp)
        kl = (q * (np.log(q) - log_p)).sum() / n
        total += factor * temp.mean()**2 * kl
    return total


@pytest.fixture
def experts(counts):
    rng = np.random.default_rng(int(counts.sum()) + 1)
    c = counts.size
    y = np.concatenate([np.arange(c), rng.integers(0, c, size=6)])
    # Scaled cosine logits of 3 experts, as RIDEHead gives them.
    z = 30 * np.tanh(rng.normal(size=(3, y.size, c)))
    return z, y


def test_temperature_formula(counts):
    for f in (0.0, 0.05, 0.5):
        np.testing.assert_allclose(
            ride_diversity_temperature(counts, f).numpy(),
            np_temperature(counts, f),
            rtol=1e-12)
    with pytest.raises(ValueError, match='reweight_factor'):
        ride_diversity_temperature([1000, 1], 2.0)


@pytest.mark.parametrize('factor', [0.0, -0.2, 0.7])
@pytest.mark.parametrize('reweighted', [False, True])
def test_function_matches_numpy(experts, counts, factor, reweighted):
    z, y = experts
    weight = temp = None
    if reweighted:
        weight = deferred_reweighting_weights(counts, 1, 0).numpy()
        temp = 1.5 * np_temperature(counts, 0.05)
    margins = torch.as_tensor(np_margins(counts, 0.5))
    got = ride_loss(
        torch.as_tensor(z),
        torch.as_tensor(y),
        margins,
        30.0,
        class_weight=None if weight is None else torch.as_tensor(weight),
        diversity_factor=factor,
        temperature=1.0 if temp is None else torch.as_tensor(temp))
    want = np_ride(z, y, counts, 30.0, 0.5, factor, weight,
                   1.0 if temp is None else temp)
    # float32 inside (the loss casts to float32 at least).
    assert got.item() == pytest.approx(want, rel=1e-5, abs=1e-5)


def test_module_follows_drw(experts, counts):
    """Uniform weights (before drw_epoch): no re-weighting and the base
    temperature; DRW weights: both the class weights and RIDE's per-class
    temperature, as the authors switch them at one epoch."""
    z, y = experts
    loss = MODELS.build(
        dict(type='RIDELoss', base_temperature=2.0, reweight_factor=0.05))
    loss.set_class_counts(counts)
    args = torch.as_tensor(z, dtype=torch.float32), torch.as_tensor(y)
    loss.set_class_weight(deferred_reweighting_weights(counts, 0, 1))
    assert not loss.diversity_reweighted
    want = np_ride(z, y, counts, 30.0, 0.5, -0.2, None, 2.0)
    assert loss(*args).item() == pytest.approx(want, rel=1e-5)
    weight = deferred_reweighting_weights(counts, 1, 1).numpy()
    loss.set_class_weight(weight)
    uniform = np.all(counts == counts[0])
    assert loss.diversity_reweighted is (not uniform)
    temp = 2.0 * (np_temperature(counts, 0.05) if not uniform else 1.0)
    want = np_ride(z, y, counts, 30.0, 0.5, -0.2, weight, temp)
    assert loss(*args).item() == pytest.approx(want, rel=1e-5)
    if not uniform:
        assert loss.temperature_mean == pytest.approx(np.mean(temp))


def test_gradient(experts, counts):
    """Autograd equals numpy's finite differences of the formula (with
    per-class temperatures and class weights). The aggregate is detached
    as in the authors' code; its gradient would vanish anyway: summed over
    the experts, the KL terms' derivative through the mean is constant
    across classes."""
    z, y = experts
    z = z[:, :4] / 10
    y = y[:4]
    weight = deferred_reweighting_weights(counts, 1, 0).numpy()
    temp = np_temperature(counts, 0.3)
    margins = torch.as_tensor(np_margins(counts, 0.5))
    zt = torch.tensor(z, requires_grad=True)
    ride_loss(
        zt,
        torch.as_tensor(y),
        margins,
        30.0,
        class_weight=torch.as_tensor(weight),
        temperature=torch.as_tensor(temp)).backward()
    eps = 1e-4
    numeric = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += eps
        zm[idx] -= eps
        numeric[idx] = (
            np_ride(zp, y, counts, 30.0, 0.5, -0.2, weight, temp) -
            np_ride(zm, y, counts, 30.0, 0.5, -0.2, weight, temp)) / (2 * eps)
    np.testing.assert_allclose(zt.grad.numpy(), numeric, rtol=2e-3, atol=2e-4)


def test_negative_factor_pushes_experts_apart():
    """Behaviour: a step on the diversity term alone (lambda < 0) moves two
    similar experts' distributions away from each other."""
    torch.manual_seed(0)
    base = torch.randn(8, 5)
    z = torch.stack([base, base + 0.1 * torch.randn(8, 5)]).requires_grad_()
    label = torch.zeros(8, dtype=torch.long)
    margins = torch.zeros(5)

    def spread(x):
        p = F.log_softmax(x, -1)
        return F.kl_div(p[0], p[1], log_target=True, reduction='batchmean')

    before = spread(z.detach())
    loss = ride_loss(
        z, label, margins, 30.0, diversity_factor=-0.2, base_loss_factor=0.0)
    loss.backward()
    after = spread(z.detach() - 1.0 * z.grad)
    assert after > before


def test_bf16_and_errors(experts, counts):
    z, y = experts
    loss = RIDELoss(class_counts=counts)
    out = loss(torch.as_tensor(z).bfloat16(), torch.as_tensor(y))
    assert out.dtype == torch.float32 and torch.isfinite(out)
    want = loss(torch.as_tensor(z).bfloat16().float(), torch.as_tensor(y))
    assert out.item() == pytest.approx(want.item(), rel=1e-5)
    # (N, C): one expert, whose KL to itself is zero: LDAM alone.
    one = loss(torch.as_tensor(z[0]), torch.as_tensor(y))
    want = np_ride(z[:1], y, counts, 30.0, 0.5, -0.2)
    assert one.item() == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match=r'\(E, N, C\)'):
        loss(torch.as_tensor(z[0, 0]), torch.as_tensor(y))
    with pytest.raises(RuntimeError, match='class_counts'):
        RIDELoss()(torch.as_tensor(z), torch.as_tensor(y))
    with pytest.raises(ValueError, match='reweight_factor'):
        RIDELoss(reweight_factor=1.0)
