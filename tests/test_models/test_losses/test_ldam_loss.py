# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.losses import LDAMLoss, ldam_margins


def np_margins(counts, max_m):
    m = 1.0 / np.power(np.asarray(counts, dtype=np.float64), 0.25)
    return m * (max_m / m.max())


def np_ldam(z, y, counts, max_m, s):
    """Cao et al.: CE on s * z with the target logit lowered by Delta_y."""
    adjusted = z.copy()
    adjusted[np.arange(len(y)), y] -= np_margins(counts, max_m)[y]
    adjusted = s * adjusted
    adjusted -= adjusted.max(axis=1, keepdims=True)
    log_p = adjusted - np.log(np.exp(adjusted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y]


@pytest.mark.parametrize('max_m', [0.0, 0.5, 1.0])
def test_margins(counts, max_m):
    np.testing.assert_allclose(
        ldam_margins(counts, max_m).numpy(),
        np_margins(counts, max_m),
        rtol=1e-12)
    assert ldam_margins(counts, max_m).max().item() == pytest.approx(max_m)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('s', [1.0, 30.0])
def test_matches_paper(data, counts, reduction, s):
    z, y = data
    z = np.tanh(z)  # cosine-like logits, as LDAM expects with s = 30
    loss_fn = LDAMLoss(
        max_m=0.5, s=s, class_counts=counts, reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = np_ldam(z, y, counts, 0.5, s)
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_class_weight_follows_torch(data, counts, reduction):
    z, y = data
    w = np.linspace(0.2, 3.0, counts.size)
    loss_fn = LDAMLoss(
        class_counts=counts, class_weight=w.tolist(), reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = w[y] * np_ldam(z, y, counts, 0.5, 30.0)
    expected = {
        'none': per_sample,
        'sum': per_sample.sum(),
        'mean': per_sample.sum() / w[y].sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-9)
    # The reference: F.cross_entropy(s * adjusted, weight=w).
    margins = torch.tensor(np_margins(counts, 0.5))
    adjusted = torch.tensor(z) - F.one_hot(torch.tensor(y)) * margins
    ref = F.cross_entropy(
        30.0 * adjusted,
        torch.tensor(y),
        weight=torch.tensor(w),
        reduction=reduction)
    torch.testing.assert_close(out, ref)
    if reduction == 'mean':
        # mmpretrain's ClsHead passes avg_factor=N: still the torch mean.
        torch.testing.assert_close(
            loss_fn(torch.tensor(z), torch.tensor(y), avg_factor=len(y)), ref)


def test_set_class_weight_for_drw(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    loss_fn = LDAMLoss(class_counts=counts)
    plain = loss_fn(z, y)
    loss_fn.set_class_weight(torch.ones(counts.size))
    torch.testing.assert_close(loss_fn(z, y), plain)
    loss_fn.set_class_weight([0.0] * (counts.size - 1) + [5.0])
    if (y == counts.size - 1).any():
        last = y == counts.size - 1
        torch.testing.assert_close(
            loss_fn(z, y),
            loss_fn(z[last], y[last], weight=None) * 1.0)
    loss_fn.set_class_weight(None)
    torch.testing.assert_close(loss_fn(z, y), plain)
    # Derived state is recomputed, never saved.
    assert not {'class_weight', 'margins', 'class_counts'} & set(
        loss_fn.state_dict())


def test_gradcheck():
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64).tanh().requires_grad_()
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    loss_fn = LDAMLoss(max_m=0.5, s=5.0, class_counts=[100, 20, 4, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    loss_fn.set_class_weight([1.0, 2.0, 3.0, 4.0])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    hooked = LDAMLoss()
    with pytest.raises(RuntimeError, match='LDAMLoss needs the per-class'):
        hooked(z, y)
    hooked.set_class_counts(counts)
    torch.testing.assert_close(
        hooked(z, y),
        LDAMLoss(class_counts=counts)(z, y))


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(type='LDAMLoss', max_m=0.5, s=30, class_counts=[5, 3, 1]))
    assert isinstance(loss_fn, LDAMLoss) and loss_fn.s == 30.0
    with pytest.raises(ValueError, match='LDAMLoss: `s`'):
        LDAMLoss(s=0)
    with pytest.raises(ValueError, match='LDAMLoss: `max_m`'):
        LDAMLoss(max_m=-0.1)
    with pytest.raises(
            ValueError,
            match='LDAMLoss: classes \\[2\\] have '
            'zero training images'):
        LDAMLoss(class_counts=[4, 1, 0])
    with pytest.raises(
            ValueError,
            match='LDAMLoss: class_weight has 2 '
            'entries but class_counts has 3'):
        loss_fn.set_class_weight([1.0, 2.0])
    with pytest.raises(
            ValueError,
            match='LDAMLoss: class_weight must be '
            'finite and non-negative'):
        loss_fn.set_class_weight([1.0, -2.0, 1.0])
    with pytest.raises(
            ValueError,
            match='LDAMLoss: class_counts has 3 '
            'entries but cls_score has 4'):
        loss_fn(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(
            ValueError, match='LDAMLoss needs integer class '
            'labels'):
        loss_fn(torch.randn(2, 3), torch.full((2, 3), 1 / 3))
    huge = LDAMLoss(s=1e38, class_counts=[5, 3, 1])
    with pytest.raises(
            ValueError,
            match='LDAMLoss: the margin logits .* are '
            'not finite; lower `s`'):
        huge(torch.full((2, 3), 10.0), torch.tensor([0, 1]))
