# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.losses import LogitAdjustedLoss, logit_adjustment


def np_la(z, y, counts, tau):
    """Menon et al.: -log softmax(z + tau * log pi)_y."""
    prior = counts / counts.sum()
    adjusted = z + tau * np.log(prior)
    adjusted = adjusted - adjusted.max(axis=1, keepdims=True)
    log_p = adjusted - np.log(np.exp(adjusted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y]


@pytest.mark.parametrize('tau', [0.0, 0.5, 1.0, 2.0])
def test_adjustment(counts, tau):
    np.testing.assert_allclose(
        logit_adjustment(counts, tau).numpy(),
        tau * np.log(counts / counts.sum()),
        rtol=1e-12)


@pytest.mark.parametrize('tau', [0.5, 1.0, 2.0])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_matches_paper(data, counts, tau, reduction):
    z, y = data
    out = LogitAdjustedLoss(
        tau=tau, class_counts=counts, reduction=reduction)(torch.tensor(z),
                                                           torch.tensor(y))
    per_sample = np_la(z, y, counts, tau)
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-9)


def test_tau_zero_is_cross_entropy(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    torch.testing.assert_close(
        LogitAdjustedLoss(tau=0.0, class_counts=counts)(z, y),
        F.cross_entropy(z, y))


def test_soft_targets(data, counts):
    z, y = data
    y2 = np.roll(y, 4)
    lam = 0.25
    soft = lam * np.eye(5)[y] + (1 - lam) * np.eye(5)[y2]
    out = LogitAdjustedLoss(
        tau=1.5, class_counts=counts)(
            torch.tensor(z), torch.tensor(soft), weight=torch.ones(len(y)) * 2)
    expected = lam * np_la(z, y, counts, 1.5) + \
        (1 - lam) * np_la(z, y2, counts, 1.5)
    np.testing.assert_allclose(
        out.item(), 2 * expected.mean(), rtol=1e-6, atol=1e-9)


def test_gradcheck():
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    soft = torch.softmax(torch.randn(6, 4, dtype=torch.float64), dim=1)
    loss_fn = LogitAdjustedLoss(tau=1.3, class_counts=[100, 20, 4, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, soft), (z, ))


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    hooked = LogitAdjustedLoss(tau=2.0)
    with pytest.raises(
            RuntimeError, match='LogitAdjustedLoss needs the '
            'per-class'):
        hooked(z, y)
    hooked.set_class_counts(counts)
    torch.testing.assert_close(
        hooked(z, y),
        LogitAdjustedLoss(tau=2.0, class_counts=counts)(z, y))
    assert 'logit_adjust' not in hooked.state_dict()


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='LogitAdjustedLoss', tau=1.0, class_counts=[5, 3, 1]))
    assert isinstance(loss_fn, LogitAdjustedLoss) and loss_fn.tau == 1.0
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: `tau` must be '
            'a finite number'):
        LogitAdjustedLoss(tau=float('inf'))
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: the logit '
            'adjustments .* are not finite; lower `tau`'):
        LogitAdjustedLoss(tau=1e39, class_counts=[5, 3, 1])
    hooked = LogitAdjustedLoss(tau=1e39)
    with pytest.raises(ValueError, match='lower `tau`'):
        hooked.set_class_counts([5, 3, 1])
    # Finite adjustments that overflow once added to the logits.
    big = LogitAdjustedLoss(tau=3e38, class_counts=[1, 1, 1])
    assert big.logit_adjust.isfinite().all()
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: the adjusted '
            'logits .* are not finite; lower `tau`'):
        big(torch.full((2, 3), -1e38), torch.tensor([0, 1]))
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: classes \\[1\\] '
            'have zero training images'):
        LogitAdjustedLoss(class_counts=[5, 0, 1])
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: class_counts '
            'has 3 entries but cls_score has 2'):
        loss_fn(torch.zeros(2, 2), torch.tensor([0, 1]))
