# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import BalancedSoftmaxLoss, LogitAdjustedLoss


def np_balanced_softmax(z, y, counts):
    """Ren et al.: p_j = n_j e^{z_j} / sum_k n_k e^{z_k}, loss -log p_y."""
    e = counts[None] * np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(y)), y])


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_matches_paper(data, counts, reduction):
    z, y = data
    out = BalancedSoftmaxLoss(
        class_counts=counts, reduction=reduction,
        loss_weight=1.5)(torch.tensor(z), torch.tensor(y))
    per_sample = np_balanced_softmax(z, y, counts)
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(
        out.numpy(), 1.5 * expected, rtol=1e-6, atol=1e-9)


def test_is_logit_adjustment_with_tau_one(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    torch.testing.assert_close(
        BalancedSoftmaxLoss(class_counts=counts)(z, y),
        LogitAdjustedLoss(tau=1.0, class_counts=counts)(z, y))


def test_soft_targets(data, counts):
    z, y = data
    y2 = np.roll(y, 2)
    lam = 0.6
    soft = lam * np.eye(5)[y] + (1 - lam) * np.eye(5)[y2]
    out = BalancedSoftmaxLoss(class_counts=counts)(torch.tensor(z),
                                                   torch.tensor(soft))
    expected = lam * np_balanced_softmax(z, y, counts) + \
        (1 - lam) * np_balanced_softmax(z, y2, counts)
    np.testing.assert_allclose(
        out.item(), expected.mean(), rtol=1e-6, atol=1e-9)


def test_gradcheck():
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    loss_fn = BalancedSoftmaxLoss(class_counts=[100, 20, 4, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    hooked = BalancedSoftmaxLoss()
    with pytest.raises(
            RuntimeError, match='BalancedSoftmaxLoss needs the '
            'per-class'):
        hooked(z, y)
    hooked.set_class_counts(counts)
    torch.testing.assert_close(
        hooked(z, y),
        BalancedSoftmaxLoss(class_counts=counts)(z, y))


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='BalancedSoftmaxLoss', class_counts=[5, 3, 1]))
    assert isinstance(loss_fn, BalancedSoftmaxLoss)
    with pytest.raises(TypeError):
        BalancedSoftmaxLoss(tau=2.0)
    with pytest.raises(
            ValueError,
            match='BalancedSoftmaxLoss: the adjusted '
            'logits .* are not finite; the input logits contain'):
        loss_fn(torch.tensor([[float('nan'), 0.0, 0.0]]), torch.tensor([0]))
    with pytest.raises(
            ValueError,
            match='BalancedSoftmaxLoss: classes '
            '\\[0\\] have zero training images'):
        BalancedSoftmaxLoss(class_counts=[0, 3, 1])
