# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import SoftmaxFocalLoss, softmax_focal_loss


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_focal(z, y, gamma):
    """Lin et al.: -(1 - p_y)^gamma log p_y."""
    p = np_softmax(z)[np.arange(len(y)), y]
    return -(1 - p)**gamma * np.log(p)


@pytest.mark.parametrize('gamma', [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_matches_paper(data, gamma, reduction):
    z, y = data
    loss_fn = SoftmaxFocalLoss(gamma=gamma, reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = np_focal(z, y, gamma)
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-7)


def test_gamma_zero_is_cross_entropy(data):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    torch.testing.assert_close(
        SoftmaxFocalLoss(gamma=0.0)(z, y),
        torch.nn.functional.cross_entropy(z, y))


def test_weight_avg_factor_loss_weight(data):
    z, y = data
    w = np.linspace(0, 1, len(y))
    out = SoftmaxFocalLoss(loss_weight=3.0)(
        torch.tensor(z), torch.tensor(y), weight=torch.tensor(w), avg_factor=5)
    np.testing.assert_allclose(
        out.item(), 3.0 * (w * np_focal(z, y, 2.0)).sum() / 5, rtol=1e-7)


def test_soft_targets(data):
    z, y = data
    y2 = np.roll(y, 2)
    lam = 0.7
    soft = lam * np.eye(z.shape[1])[y] + (1 - lam) * np.eye(z.shape[1])[y2]
    out = SoftmaxFocalLoss(gamma=2.0)(torch.tensor(z), torch.tensor(soft))
    expected = lam * np_focal(z, y, 2.0) + (1 - lam) * np_focal(z, y2, 2.0)
    np.testing.assert_allclose(out.item(), expected.mean(), rtol=1e-7)


def test_stable_for_confident_logits():
    # p_y rounds to 1 in float32: the loss must be 0 with a finite gradient.
    z = torch.tensor([[100.0, 0.0, -100.0], [0.0, 200.0, 0.0]],
                     requires_grad=True)
    loss = SoftmaxFocalLoss(gamma=0.5)(z, torch.tensor([0, 2]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    # The second sample's p_y ~ e^-200: log p_y = -200 without underflow.
    per_sample = softmax_focal_loss(
        z.detach(), torch.eye(3)[torch.tensor([0, 2])], gamma=0.5)
    np.testing.assert_allclose(per_sample.numpy(), [0.0, 200.0], rtol=1e-6)


@pytest.mark.parametrize('gamma', [0.5, 2.0])
def test_gradcheck(gamma):
    torch.manual_seed(0)
    z = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 1])
    soft = torch.softmax(torch.randn(5, 4, dtype=torch.float64), dim=1)
    loss_fn = SoftmaxFocalLoss(gamma=gamma)
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, soft), (z, ))


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='SoftmaxFocalLoss', gamma=1.0, loss_weight=2.0))
    assert isinstance(loss_fn, SoftmaxFocalLoss) and loss_fn.gamma == 1.0
    # mmpretrain's own FocalLoss (sigmoid) is untouched.
    assert MODELS.get('FocalLoss').__module__.startswith('mmpretrain')
    with pytest.raises(ValueError, match='SoftmaxFocalLoss: `gamma`'):
        SoftmaxFocalLoss(gamma=-1)
    with pytest.raises(
            ValueError, match='SoftmaxFocalLoss: label must have '
            'shape'):
        loss_fn(torch.randn(3, 4), torch.zeros(3, 2))
    with pytest.raises(
            ValueError,
            match='SoftmaxFocalLoss: `weight` must be '
            'one weight per sample'):
        loss_fn(
            torch.randn(3, 4), torch.tensor([0, 1, 2]), weight=torch.ones(4))
