# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.losses import ReweightedCrossEntropyLoss


def np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_unweighted_is_cross_entropy(data, reduction):
    z, y = data
    out = ReweightedCrossEntropyLoss(reduction=reduction)(torch.tensor(z),
                                                          torch.tensor(y))
    ce = -np_log_softmax(z)[np.arange(len(y)), y]
    expected = {'none': ce, 'mean': ce.mean(), 'sum': ce.sum()}[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_weighted_like_torch(data, counts, reduction):
    z, y = data
    w = np.linspace(0.1, 2.0, counts.size)
    loss_fn = ReweightedCrossEntropyLoss(
        class_weight=w.tolist(), reduction=reduction, loss_weight=0.5)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = -w[y] * np_log_softmax(z)[np.arange(len(y)), y]
    expected = {
        'none': per_sample,
        'sum': per_sample.sum(),
        'mean': per_sample.sum() / w[y].sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), 0.5 * expected, rtol=1e-6)
    torch.testing.assert_close(
        out, 0.5 * F.cross_entropy(
            torch.tensor(z),
            torch.tensor(y),
            weight=torch.tensor(w),
            reduction=reduction))


def test_avg_factor_and_sample_weight(data):
    z, y = data
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    sample_w = np.linspace(0.5, 1.5, len(y))
    loss_fn = ReweightedCrossEntropyLoss(class_weight=w)
    out = loss_fn(
        torch.tensor(z),
        torch.tensor(y),
        weight=torch.tensor(sample_w),
        avg_factor=len(y))
    ce = -np_log_softmax(z)[np.arange(len(y)), y]
    # Sample weights scale the terms, the divisor stays sum_i w_{y_i}.
    np.testing.assert_allclose(
        out.item(), (sample_w * w[y] * ce).sum() / w[y].sum(), rtol=1e-6)
    # avg_factor counts samples: half the samples, twice the loss.
    np.testing.assert_allclose(
        loss_fn(torch.tensor(z), torch.tensor(y),
                avg_factor=len(y) / 2).item(),
        2 * (w[y] * ce).sum() / w[y].sum(),
        rtol=1e-6)


def test_soft_targets(data):
    z, y = data
    y2 = np.roll(y, 1)
    lam = 0.4
    soft = lam * np.eye(5)[y] + (1 - lam) * np.eye(5)[y2]
    w = np.array([3.0, 1.0, 0.5, 2.0, 1.5])
    out = ReweightedCrossEntropyLoss(class_weight=w)(torch.tensor(z),
                                                     torch.tensor(soft))
    log_p = np_log_softmax(z)
    num = -(soft * w * log_p).sum()
    np.testing.assert_allclose(out.item(), num / (soft * w).sum(), rtol=1e-6)


def test_gradcheck_and_state():
    torch.manual_seed(0)
    z = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 2, 0])
    loss_fn = ReweightedCrossEntropyLoss(class_weight=[1.0, 2.0, 0.5])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    assert 'class_weight' not in loss_fn.state_dict()


def test_counts_optional_but_checked(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    loss_fn = ReweightedCrossEntropyLoss()
    loss_fn(z, y)  # no counts needed
    assert loss_fn.set_class_counts(counts)
    torch.testing.assert_close(
        loss_fn.get_class_counts(dtype=torch.int64), torch.as_tensor(counts))
    with pytest.raises(
            ValueError,
            match='ReweightedCrossEntropyLoss: '
            'class_counts has 5 entries but cls_score has 3'):
        loss_fn(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(
            ValueError,
            match='ReweightedCrossEntropyLoss: '
            'class_weight has 3 entries but class_counts has 5'):
        loss_fn.set_class_weight([1.0, 1.0, 1.0])


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='ReweightedCrossEntropyLoss', class_weight=[1.0, 2.0]))
    assert isinstance(loss_fn, ReweightedCrossEntropyLoss)
    with pytest.raises(
            ValueError,
            match='ReweightedCrossEntropyLoss: '
            'class_weight has 2 entries but cls_score has 3'):
        loss_fn(torch.randn(2, 3), torch.tensor([0, 1]))
    with pytest.raises(
            ValueError,
            match='ReweightedCrossEntropyLoss: '
            'class_weight must be a non-empty 1-D'):
        loss_fn.set_class_weight([[1.0]])
