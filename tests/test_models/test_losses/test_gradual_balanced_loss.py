# Copyright (c) mmlt contributors. All rights reserved.
"""GradualBalancedLoss: CE at tau = 0, balanced softmax at tau = 1."""
import io

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import BalancedSoftmaxLoss, GradualBalancedLoss


def np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def np_graloss(z, y, counts, tau):
    """-log softmax(z + tau * log(n / sum(n)))_y, per sample."""
    prior = counts / counts.sum()
    logp = np_log_softmax(z + tau * np.log(prior)[None])
    return -logp[np.arange(len(y)), y]


def make(counts, tau, **kwargs):
    loss = GradualBalancedLoss(class_counts=counts, **kwargs)
    loss.set_tau(tau)
    return loss


def test_tau_zero_is_plain_cross_entropy(data, counts):
    z, y = data
    out = make(counts, 0.0, reduction='none')(torch.tensor(z), torch.tensor(y))
    ce = -np_log_softmax(z)[np.arange(len(y)), y]
    np.testing.assert_allclose(out.numpy(), ce, rtol=1e-6, atol=1e-9)


def test_tau_one_is_balanced_softmax(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    out = make(counts, 1.0)(z, y)
    torch.testing.assert_close(out,
                               BalancedSoftmaxLoss(class_counts=counts)(z, y))
    # The paper's p_j = n_j e^{z_j} / sum_k n_k e^{z_k}, independently.
    zz, yy = data
    e = counts[None] * np.exp(zz - zz.max(axis=1, keepdims=True))
    expected = -np.log((e / e.sum(1, keepdims=True))[np.arange(len(yy)), yy])
    np.testing.assert_allclose(out.item(), expected.mean(), rtol=1e-6)


@pytest.mark.parametrize('tau', [0.25, 0.5, 1.5])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_intermediate_tau_matches_formula(data, counts, tau, reduction):
    z, y = data
    out = make(
        counts, tau, reduction=reduction, loss_weight=2.0)(torch.tensor(z),
                                                           torch.tensor(y))
    per_sample = np_graloss(z, y, counts, tau)
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), 2.0 * expected, rtol=1e-6)


def test_tau_changes_the_loss():
    counts = np.array([500, 120, 30, 8, 2])
    z = torch.zeros(5, 5, dtype=torch.float64)
    y = torch.arange(5)
    loss = GradualBalancedLoss(class_counts=counts, reduction='none')
    before = loss(z, y).clone()
    loss.set_tau(1.0)
    after = loss(z, y)
    # Uniform logits: CE is log C for all; with the prior the tail costs
    # more and the head less.
    np.testing.assert_allclose(before.numpy(), np.log(5))
    assert after[0] < before[0] and after[-1] > before[-1]


def test_soft_targets(data, counts):
    z, y = data
    y2 = np.roll(y, 1)
    soft = 0.7 * np.eye(5)[y] + 0.3 * np.eye(5)[y2]
    out = make(counts, 0.6)(torch.tensor(z), torch.tensor(soft))
    expected = 0.7 * np_graloss(z, y, counts, 0.6) + \
        0.3 * np_graloss(z, y2, counts, 0.6)
    np.testing.assert_allclose(out.item(), expected.mean(), rtol=1e-6)


@pytest.mark.parametrize('tau', [0.0, 0.4, 1.0])
def test_gradcheck(tau):
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    loss_fn = make([100, 20, 4, 1], tau)
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))


def test_tau_is_a_persistent_buffer():
    loss = make([5, 3, 1], 0.37, tau_final=1.5)
    state = loss.state_dict()
    assert set(state) == {'tau'}  # log_prior is derived from the counts
    assert state['tau'].item() == pytest.approx(0.37)
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    other = GradualBalancedLoss(class_counts=[5, 3, 1], tau_final=1.5)
    other.load_state_dict(torch.load(buf, weights_only=True))
    assert other.tau.item() == pytest.approx(0.37)
    assert other.tau_final == 1.5


def test_counts_from_hook_and_registry():
    loss = MODELS.build(dict(type='GradualBalancedLoss', tau_final=0.5))
    assert loss.tau.item() == 0.0 and loss.tau_final == 0.5
    z, y = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        loss(z, y)
    loss.set_class_counts([10, 5, 1])
    loss.set_tau(0.5)
    torch.testing.assert_close(
        loss(z, y),
        torch.tensor(
            np_graloss(z.double().numpy(), y.numpy(), np.array([10, 5, 1]),
                       0.5).mean(),
            dtype=torch.float32))


def test_warns_when_never_scheduled():
    loss = GradualBalancedLoss(class_counts=[3, 1])
    z, y = torch.randn(2, 2), torch.tensor([0, 1])
    with _Capture() as logs:
        loss(z, y)
        loss(z, y)
    assert sum('GradualScheduleHook' in m for m in logs) == 1
    scheduled = make([3, 1], 0.0)
    with _Capture() as logs:
        scheduled(z, y)
    assert not logs


class _Capture:
    """Collects mmengine's 'current' logger messages."""

    def __enter__(self):
        import logging

        from mmengine.logging import MMLogger
        self.logger = MMLogger.get_current_instance()
        self.messages = []
        outer = self

        class H(logging.Handler):

            def emit(self, record):
                outer.messages.append(record.getMessage())

        self.handler = H()
        self.logger.addHandler(self.handler)
        return self.messages

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)


@pytest.mark.parametrize('kwargs, match', [
    (dict(tau_final=-0.5), 'tau_final'),
    (dict(tau_final=float('nan')), 'tau_final'),
    (dict(tau=float('inf')), '`tau`'),
    (dict(reduction='avg'), 'reduction'),
    (dict(class_counts=[3, 0, 1]), 'zero training images'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GradualBalancedLoss(**kwargs)


def test_bad_input():
    loss = make([5, 3, 1], 0.5)
    with pytest.raises(ValueError, match='GradualBalancedLoss.*3 entries'):
        loss(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 3\)'):
        loss(torch.randn(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match='not finite'):
        loss(torch.tensor([[float('nan'), 0.0, 0.0]]), torch.tensor([0]))
    with pytest.raises(ValueError, match='GradualBalancedLoss.*tau'):
        loss.set_tau(float('nan'))
