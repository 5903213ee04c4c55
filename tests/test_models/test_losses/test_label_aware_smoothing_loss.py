# Copyright (c) mmlt contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import LabelAwareSmoothingLoss, label_aware_smoothing


def np_smoothing(counts, head, tail, shape, power=None):
    """MiSLAS's f(N_j), eps_1 = head (most images), eps_K = tail."""
    counts = np.asarray(counts, dtype=np.float64)
    n_1, n_k = counts.max(), counts.min()
    out = []
    for n_j in counts:
        r = (n_j - n_k) / (n_1 - n_k) if n_1 > n_k else 1.0
        if shape == 'concave':
            out.append(tail + (head - tail) * math.sin(math.pi / 2 * r))
        elif shape == 'linear':
            out.append(tail + (head - tail) * r)
        elif shape == 'convex':
            out.append(head + (head - tail) *
                       math.sin(3 * math.pi / 2 + math.pi / 2 * r))
        else:
            out.append(tail + (head - tail) * r**power)
    return np.array(out)


def np_las(z, y, eps):
    num_classes = z.shape[1]
    q = np.tile((eps[y] / (num_classes - 1))[:, None], (1, num_classes))
    q[np.arange(len(y)), y] = 1 - eps[y]
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(q * log_p).sum(axis=1)


SHAPES = [('concave', None), ('linear', None), ('convex', None),
          ('exponential', 2.0), ('exponential', 0.5)]


@pytest.mark.parametrize('shape,power', SHAPES)
def test_smoothing_factors(counts, shape, power):
    eps = label_aware_smoothing(counts, 0.4, 0.1, shape, power).numpy()
    np.testing.assert_allclose(
        eps, np_smoothing(counts, 0.4, 0.1, shape, power), atol=1e-12)
    if counts.max() > counts.min():
        assert eps[counts.argmax()] == pytest.approx(0.4)
        assert eps[counts.argmin()] == pytest.approx(0.1)
    else:
        # Balanced counts: no tail, every class gets the head factor.
        np.testing.assert_allclose(eps, 0.4)
    assert ((eps >= 0.1 - 1e-12) & (eps <= 0.4 + 1e-12)).all()


@pytest.mark.parametrize('shape,power', SHAPES)
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_matches_paper(data, counts, shape, power, reduction):
    z, y = data
    loss_fn = LabelAwareSmoothingLoss(
        smooth_head=0.3,
        smooth_tail=0.05,
        shape=shape,
        power=power,
        class_counts=counts,
        reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = np_las(z, y, np_smoothing(counts, 0.3, 0.05, shape, power))
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_soft_targets_mix_smoothed_targets(data, counts):
    z, y = data
    y2 = np.roll(y, 1)
    lam = 0.35
    soft = lam * np.eye(5)[y] + (1 - lam) * np.eye(5)[y2]
    out = LabelAwareSmoothingLoss(class_counts=counts)(torch.tensor(z),
                                                       torch.tensor(soft))
    eps = np_smoothing(counts, 0.3, 0.0, 'concave')
    expected = lam * np_las(z, y, eps) + (1 - lam) * np_las(z, y2, eps)
    np.testing.assert_allclose(out.item(), expected.mean(), rtol=1e-6)


def test_zero_smoothing_is_cross_entropy(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    loss_fn = LabelAwareSmoothingLoss(
        smooth_head=0.0, smooth_tail=0.0, class_counts=counts)
    torch.testing.assert_close(
        loss_fn(z, y), torch.nn.functional.cross_entropy(z, y))


def test_gradcheck():
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    soft = torch.softmax(torch.randn(6, 4, dtype=torch.float64), dim=1)
    loss_fn = LabelAwareSmoothingLoss(class_counts=[100, 20, 4, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, soft), (z, ))


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    hooked = LabelAwareSmoothingLoss(shape='linear')
    with pytest.raises(
            RuntimeError, match='LabelAwareSmoothingLoss needs '
            'the per-class'):
        hooked(z, y)
    hooked.set_class_counts(counts)
    torch.testing.assert_close(
        hooked(z, y),
        LabelAwareSmoothingLoss(shape='linear', class_counts=counts)(z, y))
    # A class without images is simply the rarest one.
    zero = LabelAwareSmoothingLoss(shape='linear', class_counts=[10, 0, 5])
    np.testing.assert_allclose(zero.smoothing.numpy(), [0.3, 0.0, 0.15])


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(
            type='LabelAwareSmoothingLoss',
            smooth_head=0.4,
            smooth_tail=0.1,
            shape='exponential',
            power=3,
            class_counts=[5, 3, 1]))
    assert isinstance(loss_fn, LabelAwareSmoothingLoss)
    assert loss_fn.power == 3.0
    with pytest.raises(
            ValueError,
            match='LabelAwareSmoothingLoss: `shape` '
            "must be one of .*'exponential', got 'cubic'"):
        LabelAwareSmoothingLoss(shape='cubic')
    with pytest.raises(
            ValueError,
            match='LabelAwareSmoothingLoss: '
            'shape="exponential" needs `power`'):
        LabelAwareSmoothingLoss(shape='exponential')
    with pytest.raises(
            ValueError,
            match='LabelAwareSmoothingLoss: `power` '
            'is only used by shape="exponential"'):
        LabelAwareSmoothingLoss(shape='concave', power=2)
    with pytest.raises(ValueError, match='LabelAwareSmoothingLoss: `power`'):
        LabelAwareSmoothingLoss(shape='exponential', power=0)
    with pytest.raises(
            ValueError, match='LabelAwareSmoothingLoss: '
            '`smooth_head`'):
        LabelAwareSmoothingLoss(smooth_head=1.5)
    with pytest.raises(
            ValueError,
            match='LabelAwareSmoothingLoss: '
            'class_counts has 3 entries but cls_score has 4'):
        loss_fn(torch.randn(2, 4), torch.tensor([0, 1]))
