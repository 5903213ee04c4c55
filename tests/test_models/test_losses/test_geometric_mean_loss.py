# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import (CombinedLoss, GeometricMeanLoss,
                                LabelAwareSmoothingLoss, class_mean_log_prob,
                                geometric_mean_loss)


def np_gml(z, y, counts=None, sample_weight=None):
    """Du and Wu, Eq. (1)-(3): p~_j = N_j e^{z_j} / sum_c N_c e^{z_c},
    p_c = mean of p~_c over the samples of class c, L = -mean_c log p_c over
    the classes present."""
    z = np.asarray(z, dtype=np.float64)
    scale = np.ones(z.shape[1]) if counts is None else np.asarray(
        counts, dtype=np.float64)
    e = scale[None] * np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(
        sample_weight, dtype=np.float64)
    terms = []
    for c in range(z.shape[1]):
        idx = np.flatnonzero((np.asarray(y) == c) & (w > 0))
        if idx.size:
            mean = (w[idx] * p[idx, c]).sum() / w[idx].sum()
            terms.append(-np.log(mean))
    return np.mean(terms) if terms else 0.0


def loss_of(z, y, **kwargs):
    return GeometricMeanLoss(**kwargs)(torch.tensor(z), torch.tensor(y))


@pytest.mark.parametrize('reweight', [True, False])
def test_matches_paper(data, counts, reweight):
    z, y = data
    out = GeometricMeanLoss(
        reweight=reweight, class_counts=counts,
        loss_weight=1.5)(torch.tensor(z), torch.tensor(y))
    expected = np_gml(z, y, counts if reweight else None)
    np.testing.assert_allclose(out.item(), 1.5 * expected, rtol=1e-10)


@pytest.mark.parametrize('reweight', [True, False])
def test_classes_missing_from_the_batch(counts, reweight):
    rng = np.random.default_rng(3)
    z = rng.normal(scale=3.0, size=(9, 5))
    # Classes 1 and 3 have no sample: the mean runs over 0, 2 and 4.
    y = np.array([0, 0, 0, 0, 2, 2, 4, 0, 2])
    out = loss_of(z, y, reweight=reweight, class_counts=counts)
    expected = np_gml(z, y, counts if reweight else None)
    np.testing.assert_allclose(out.item(), expected, rtol=1e-10)
    # Not the mean over all five classes with log(0) or 0 for the missing.
    assert np.isfinite(expected)
    total = loss_of(
        z, y, reweight=reweight, class_counts=counts, reduction='sum')
    np.testing.assert_allclose(total.item(), 3 * expected, rtol=1e-10)


@pytest.mark.parametrize('reweight', [True, False])
def test_one_sample_per_class_is_mean_log_loss(counts, reweight):
    # With one sample per class, p_c is that sample's p~_c: GML is the mean
    # of the per-sample (balanced-softmax or plain) cross-entropies.
    rng = np.random.default_rng(5)
    z = rng.normal(scale=2.0, size=(5, 5))
    y = np.array([3, 0, 4, 1, 2])
    out = loss_of(z, y, reweight=reweight, class_counts=counts)
    shift = np.log(counts) if reweight else 0.0
    logits = z + shift
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_p[np.arange(5), y].mean()
    np.testing.assert_allclose(out.item(), expected, rtol=1e-10)
    assert expected == pytest.approx(
        np_gml(z, y, counts if reweight else None))


def test_reweighting_changes_the_loss():
    z = np.zeros((4, 3))
    y = np.array([0, 1, 2, 2])
    counts = [100, 10, 1]
    on = loss_of(z, y, class_counts=counts)
    off = loss_of(z, y, reweight=False, class_counts=counts)
    # Equal logits: p~_c = N_c / sum N, resp. 1/3.
    np.testing.assert_allclose(
        on.item(), -np.mean(np.log(np.array(counts) / 111)), rtol=1e-12)
    np.testing.assert_allclose(off.item(), np.log(3), rtol=1e-12)


def test_log_of_mean_not_mean_of_log():
    # Two samples of one class with p = 0.9 and 0.1 (two classes, plain
    # softmax): -log(0.5), not -(log 0.9 + log 0.1) / 2.
    a = np.log(9.0)
    z = np.array([[a, 0.0], [-a, 0.0]])
    out = loss_of(z, np.array([0, 0]), reweight=False)
    np.testing.assert_allclose(out.item(), np.log(2), rtol=1e-12)


def test_extreme_logits_do_not_underflow():
    # p~ of the true class around e^-800: computed in log space.
    z = np.array([[0.0, 800.0, 0.0], [0.0, 790.0, 0.0], [5.0, 0.0, 0.0]])
    y = np.array([0, 0, 0])
    out = loss_of(z, y, reweight=False)
    # log mean(e^-800, e^-790, ~1) ~ log(1/3); and for classes 0 only.
    expected = -np.log(
        np.mean([np.exp(-800.0),
                 np.exp(-790.0),
                 np.exp(5) / (np.exp(5) + 2)]))
    np.testing.assert_allclose(out.item(), expected, rtol=1e-12)
    hard = loss_of(z[:2], y[:2], reweight=False)
    np.testing.assert_allclose(
        hard.item(), 790 - np.log((np.exp(-10.0) + 1) / 2), rtol=1e-12)


def test_soft_targets_and_sample_weights():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(6, 4))
    y = np.array([0, 1, 1, 2, 3, 3])
    counts = [50, 20, 5, 2]
    # One-hot soft targets give the hard-label loss.
    torch.testing.assert_close(
        GeometricMeanLoss(class_counts=counts)(torch.tensor(z),
                                               torch.tensor(np.eye(4)[y])),
        loss_of(z, y, class_counts=counts))
    # Per-sample weights: weighted class means; weight 0 drops a sample.
    w = np.array([1.0, 2.0, 0.5, 0.0, 1.0, 3.0])
    out = GeometricMeanLoss(class_counts=counts)(
        torch.tensor(z), torch.tensor(y), weight=torch.tensor(w))
    np.testing.assert_allclose(
        out.item(), np_gml(z, y, counts, sample_weight=w), rtol=1e-10)
    # Mixup of two label vectors: p_c = sum_i q_ic p~_ic / sum_i q_ic.
    y2 = np.roll(y, 1)
    q = 0.7 * np.eye(4)[y] + 0.3 * np.eye(4)[y2]
    e = np.asarray(counts)[None] * np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    expected = -np.mean(np.log((q * p).sum(0) / q.sum(0)))
    out = GeometricMeanLoss(class_counts=counts)(torch.tensor(z),
                                                 torch.tensor(q))
    np.testing.assert_allclose(out.item(), expected, rtol=1e-10)


@pytest.mark.parametrize('labels',
                         [[0, 1, 2, 3, 3, 1], [2, 2, 0, 2, 0, 0], [1, 3, 0, 2]]
                         )
@pytest.mark.parametrize('reweight', [True, False])
def test_gradcheck(labels, reweight):
    torch.manual_seed(0)
    y = torch.tensor(labels)
    z = torch.randn(len(labels), 4, dtype=torch.float64, requires_grad=True)
    loss_fn = GeometricMeanLoss(
        reweight=reweight, class_counts=[100, 20, 4, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))


def test_gradient_of_missing_classes_is_finite():
    z = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    loss = GeometricMeanLoss(class_counts=[4, 3, 2, 1])(z,
                                                        torch.tensor([1, 1,
                                                                      2]))
    loss.backward()
    assert torch.isfinite(z.grad).all()
    # Softmax couples the classes: absent classes' logits still get a
    # gradient (they take probability from the present ones).
    assert (z.grad[:, 0] > 0).all()


def test_empty_batch_is_zero():
    z = torch.zeros(0, 3, requires_grad=True)
    loss = GeometricMeanLoss(
        class_counts=[3, 2, 1])(z, torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0
    loss.backward()


def test_class_mean_log_prob_marks_present_classes():
    log_p = torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]]))
    membership = torch.tensor([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    log_mean, present = class_mean_log_prob(log_p, membership)
    assert present.tolist() == [True, False, False]
    torch.testing.assert_close(log_mean,
                               torch.tensor([float(np.log(0.35)), 0.0, 0.0]))


def test_bad_input():
    with pytest.raises(ValueError, match=r'classes \[1\] have zero'):
        GeometricMeanLoss(class_counts=[5, 0, 3])
    loss = GeometricMeanLoss()
    with pytest.raises(ValueError, match=r'classes \[2\] have zero'):
        loss.set_class_counts([5, 1, 0])
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        loss(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='3 entries but cls_score has 4'):
        GeometricMeanLoss(class_counts=[3, 2, 1])(torch.zeros(2, 4),
                                                  torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='`reduction`'):
        GeometricMeanLoss(reduction='none')
    with pytest.raises(ValueError, match='reduction_override'):
        GeometricMeanLoss(class_counts=[1, 1])(
            torch.zeros(2, 2), torch.tensor([0, 1]), reduction_override='none')
    with pytest.raises(ValueError, match='labels must lie in'):
        GeometricMeanLoss(class_counts=[1, 1])(torch.zeros(2, 2),
                                               torch.tensor([0, 2]))
    with pytest.raises(ValueError, match='non-negative'):
        GeometricMeanLoss(class_counts=[1, 1])(
            torch.zeros(2, 2),
            torch.tensor([0, 1]),
            weight=torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match='not finite'):
        GeometricMeanLoss(
            class_counts=[1, 1])(torch.tensor([[float('nan'), 0.0], [0.0,
                                                                     0.0]]),
                                 torch.tensor([0, 1]))


def test_without_reweighting_needs_no_counts():
    z, y = torch.randn(4, 3, dtype=torch.float64), torch.tensor([0, 1, 1, 2])
    plain = GeometricMeanLoss(reweight=False)
    np.testing.assert_allclose(
        plain(z, y).item(), np_gml(z.numpy(), y.numpy()), rtol=1e-10)
    # Counts are unused, so an empty class is no error.
    assert GeometricMeanLoss(
        reweight=False,
        class_counts=[4, 0, 1])(z,
                                y).item() == pytest.approx(plain(z, y).item())


def test_build_and_avg_factor_is_ignored():
    loss = MODELS.build(
        dict(type='GeometricMeanLoss', class_counts=[30, 10, 3]))
    assert isinstance(loss, GeometricMeanLoss) and loss.reweight
    z, y = torch.randn(5, 3), torch.tensor([0, 0, 1, 2, 2])
    # mmpretrain's ClsHead passes avg_factor=N: a mean over classes anyway.
    torch.testing.assert_close(loss(z, y, avg_factor=5), loss(z, y))


def test_geometric_mean_loss_function():
    z = torch.randn(4, 3, dtype=torch.float64)
    membership = torch.eye(3, dtype=torch.float64)[[0, 2, 2, 0]]
    counts = torch.tensor([5.0, 2.0, 1.0])
    np.testing.assert_allclose(
        geometric_mean_loss(z, membership, counts).item(),
        np_gml(z.numpy(), [0, 2, 2, 0], [5, 2, 1]),
        rtol=1e-10)
    with pytest.raises(ValueError, match='reduction'):
        geometric_mean_loss(z, membership, reduction='none')


def test_combined_loss_sums_its_losses():
    z = torch.randn(6, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 2, 3, 3])
    counts = [40, 10, 5, 2]
    combined = MODELS.build(
        dict(
            type='CombinedLoss',
            losses=[
                dict(type='GeometricMeanLoss', class_counts=counts),
                dict(
                    type='LabelAwareSmoothingLoss',
                    class_counts=counts,
                    loss_weight=0.5)
            ]))
    expected = GeometricMeanLoss(class_counts=counts)(z, y) + \
        LabelAwareSmoothingLoss(class_counts=counts, loss_weight=0.5)(z, y)
    torch.testing.assert_close(combined(z, y, avg_factor=6), expected)
    # Its losses are sub-modules: ClassCountsHook and the stage hook find
    # them through named_modules().
    assert sum(isinstance(m, GeometricMeanLoss)
               for m in combined.modules()) == 1
    with pytest.raises(ValueError, match='non-empty list'):
        CombinedLoss([])
    with pytest.raises(ValueError, match='non-empty list'):
        CombinedLoss(dict(type='GeometricMeanLoss'))
