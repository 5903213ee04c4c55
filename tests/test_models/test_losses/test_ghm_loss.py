# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import GHMCLoss, ghm_bin_index


def np_bce(z, y):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def np_bin_counts(g, bins):
    """Loop over bins as in the paper; last edge slightly above 1."""
    edges = np.arange(bins + 1) / bins
    edges[-1] += 1e-6
    inds = np.zeros(g.shape, dtype=np.int64)
    counts = np.zeros(bins)
    for k in range(bins):
        in_bin = (g >= edges[k]) & (g < edges[k + 1])
        inds[in_bin] = k
        counts[k] = in_bin.sum()
    return inds, counts


def np_ghm(z, y, bins, density=None, momentum=0.0):
    """Returns the element-wise weighted losses and the new density."""
    g = np.abs(1 / (1 + np.exp(-z)) - y)
    inds, counts = np_bin_counts(g, bins)
    if density is None:
        density = np.zeros(bins)
    density = momentum * density + (1 - momentum) * counts \
        if momentum > 0 else counts
    n = g.size
    weights = n / (density[inds] * (counts > 0).sum())
    return weights * np_bce(z, y), density


def test_bin_index():
    g = torch.tensor([0.0, 0.05, 0.15, 0.55, 0.95, 0.999999, 1.0])
    assert ghm_bin_index(g, 10).tolist() == [0, 0, 1, 5, 9, 9, 9]
    assert ghm_bin_index(g, 1).tolist() == [0] * 7


@pytest.mark.parametrize('bins', [1, 4, 10, 30])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_matches_paper(data, bins, reduction):
    z, y = data
    target = np.eye(z.shape[1])[y]
    loss_fn = GHMCLoss(bins=bins, reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    elem, _ = np_ghm(z, target, bins)
    expected = {
        'none': elem,
        'mean': elem.sum() / elem.size,
        'sum': elem.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_avg_factor_counts_samples(data):
    z, y = data
    loss_fn = GHMCLoss(bins=10)
    z_t, y_t = torch.tensor(z), torch.tensor(y)
    # mmpretrain's ClsHead passes avg_factor=N: same as the paper's mean.
    torch.testing.assert_close(
        loss_fn(z_t, y_t, avg_factor=len(y)), loss_fn(z_t, y_t))
    w = np.linspace(0.5, 1.5, len(y))
    elem, _ = np_ghm(z, np.eye(z.shape[1])[y], 10)
    np.testing.assert_allclose(
        loss_fn(z_t, y_t, weight=torch.tensor(w)).item(),
        (w[:, None] * elem).mean(),
        rtol=1e-6)


def test_soft_targets(data):
    z, y = data
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(z.shape[1]), size=len(y))
    out = GHMCLoss(bins=7)(torch.tensor(z), torch.tensor(soft))
    elem, _ = np_ghm(z, soft, 7)
    np.testing.assert_allclose(out.item(), elem.mean(), rtol=1e-6)


def test_weights_carry_no_gradient(data):
    z, y = data
    z_t = torch.tensor(z, requires_grad=True)
    GHMCLoss(bins=10)(z_t, torch.tensor(y)).backward()
    target = np.eye(z.shape[1])[y]
    g = np.abs(1 / (1 + np.exp(-z)) - target)
    inds, counts = np_bin_counts(g, 10)
    weights = g.size / (counts[inds] * (counts > 0).sum())
    # d/dz of sum(w * BCE) / N with constant w.
    expected = weights * (1 / (1 + np.exp(-z)) - target) / g.size
    np.testing.assert_allclose(z_t.grad.numpy(), expected, rtol=1e-6)


def test_gradcheck_fixed_weights():
    torch.manual_seed(0)
    z = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 4, 0])
    loss_fn = GHMCLoss(bins=10)
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))


def test_ema_state_two_calls_and_state_dict():
    rng = np.random.default_rng(1)
    z1, z2, z3 = (rng.normal(scale=3, size=(8, 6)) for _ in range(3))
    y = rng.integers(0, 6, size=8)
    target = np.eye(6)[y]
    loss_fn = GHMCLoss(bins=5, momentum=0.75)
    assert 'acc_sum' in loss_fn.state_dict()
    out1 = loss_fn(torch.tensor(z1), torch.tensor(y))
    elem1, density = np_ghm(z1, target, 5, None, 0.75)
    np.testing.assert_allclose(out1.item(), elem1.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss_fn.acc_sum.numpy(), density, rtol=1e-6)
    out2 = loss_fn(torch.tensor(z2), torch.tensor(y))
    elem2, density = np_ghm(z2, target, 5, density, 0.75)
    np.testing.assert_allclose(out2.item(), elem2.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss_fn.acc_sum.numpy(), density, rtol=1e-6)

    # The moving average is saved and restored with the model.
    restored = GHMCLoss(bins=5, momentum=0.75)
    restored.load_state_dict(loss_fn.state_dict())
    torch.testing.assert_close(restored.acc_sum, loss_fn.acc_sum)
    torch.testing.assert_close(
        restored(torch.tensor(z3), torch.tensor(y)),
        loss_fn(torch.tensor(z3), torch.tensor(y)))

    # Eval-mode calls read the state but do not update it.
    state = loss_fn.acc_sum.clone()
    loss_fn.eval()
    loss_fn(torch.tensor(z1), torch.tensor(y))
    torch.testing.assert_close(loss_fn.acc_sum, state)


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(dict(type='GHMCLoss', bins=30, momentum=0.75))
    assert isinstance(loss_fn, GHMCLoss) and loss_fn.acc_sum.shape == (30, )
    for bins in (0, 2.5, True):
        with pytest.raises(
                ValueError, match='GHMCLoss: `bins` must be a '
                'positive integer'):
            GHMCLoss(bins=bins)
    for momentum in (1.0, -0.5):
        with pytest.raises(ValueError, match='GHMCLoss: `momentum`'):
            GHMCLoss(momentum=momentum)
    with pytest.raises(
            ValueError, match='avg_factor can not be used with '
            'reduction="sum"'):
        loss_fn(
            torch.randn(2, 3),
            torch.tensor([0, 1]),
            avg_factor=2,
            reduction_override='sum')


def lonely_bin_logits(num=256, num_classes=600):
    """Logits whose every gradient norm is ~0 except one ~1, alone in the
    last bin: its weight is N / (1 * M) = num * num_classes / 2 (76,800
    here), above float16's largest value 65,504."""
    z = np.full((num, num_classes), -20.0)
    y = np.zeros(num, dtype=np.int64)
    z[:, 0] = 20.0
    z[0, 1] = 20.0  # sigma ~ 1 against a target of 0: g ~ 1
    return z, y


def test_lonely_bin_weight_stays_finite_in_float16():
    z, y = lonely_bin_logits()
    assert z.size / 2 > np.finfo(np.float16).max
    elem, _ = np_ghm(z, np.eye(z.shape[1])[y], 10)
    expected = elem.sum() / elem.size
    assert expected > 5  # the lonely element's weight dominates
    logits = torch.tensor(z, dtype=torch.float16, requires_grad=True)
    out = GHMCLoss()(logits, torch.tensor(y))
    assert out.dtype == torch.float32 and torch.isfinite(out)
    np.testing.assert_allclose(out.item(), expected, rtol=1e-3)
    out.backward()
    assert torch.isfinite(logits.grad).all()
    # d loss / d z = beta * (sigma - y) / N = 1 / M for the lonely logit.
    assert logits.grad[0, 1].item() == pytest.approx(0.5, rel=1e-3)


def test_lonely_bin_weight_stays_finite_under_autocast():
    z, y = lonely_bin_logits()
    elem, _ = np_ghm(z, np.eye(z.shape[1])[y], 10)
    features = torch.tensor(z, dtype=torch.float32, requires_grad=True)
    identity = torch.eye(z.shape[1])
    with torch.autocast('cpu', dtype=torch.float16):
        # The head's linear layer gives float16 logits under autocast.
        logits = torch.nn.functional.linear(features, identity)
        assert logits.dtype == torch.float16
        out = GHMCLoss()(logits, torch.tensor(y))
    assert torch.isfinite(out)
    np.testing.assert_allclose(out.item(), elem.sum() / elem.size, rtol=1e-3)
    out.backward()
    assert torch.isfinite(features.grad).all()


def test_non_finite_logits_are_binned():
    # NaN gradient norms (the AMP scaler skips such a step) fall in the last
    # bin instead of an arbitrary integer that would break the counts.
    g = torch.tensor([0.0, float('nan'), 0.5])
    assert ghm_bin_index(g, 10).tolist() == [0, 9, 5]
