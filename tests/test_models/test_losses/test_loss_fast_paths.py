# Copyright (c) mmlt contributors. All rights reserved.
"""The per-class caches and the hard-label fast paths of the losses.

Per-class quantities (weights, log priors, margins, smoothing factors, tail
masks) are computed once when the counts are set; these tests check that
new counts replace them, and that the hard-label paths (gather /
``F.cross_entropy``, no one-hot matrix) agree with the soft-target paths
on one-hot targets.
"""
import pytest
import torch
import torch.nn.functional as F

from mmlt.models.losses import (BalancedSoftmaxLoss, ClassBalancedLoss,
                                EqualizationLoss, LabelAwareSmoothingLoss,
                                LDAMLoss, LogitAdjustedLoss,
                                ReweightedCrossEntropyLoss, SoftmaxFocalLoss)

OLD = [50, 20, 8, 3, 1]
NEW = [1, 3, 8, 20, 50]

BUILDERS = {
    'LogitAdjusted':
    lambda **kw: LogitAdjustedLoss(tau=1.5, **kw),
    'BalancedSoftmax':
    lambda **kw: BalancedSoftmaxLoss(**kw),
    'CB-softmax':
    lambda **kw: ClassBalancedLoss(beta=0.99, **kw),
    'CB-sigmoid':
    lambda **kw: ClassBalancedLoss(loss_type='sigmoid', beta=0.99, **kw),
    'CB-focal':
    lambda **kw: ClassBalancedLoss(loss_type='focal', beta=0.99, **kw),
    'LDAM':
    lambda **kw: LDAMLoss(s=5.0, **kw),
    'LabelAwareSmoothing':
    lambda **kw: LabelAwareSmoothingLoss(**kw),
    # Eval mode: the tail mask decides nothing, so use training mode with
    # fixed draws below.
    'EQL':
    lambda **kw: EqualizationLoss(lambda_=0.1, gamma=0.5, **kw),
}


def _data():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(12, 5, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 3])
    return z, y


def _loss(loss_fn, z, y):
    if isinstance(loss_fn, EqualizationLoss):
        # The same EQL draws every call: rewind its random stream.
        loss_fn.load_state_dict({'rng_step': torch.tensor(0)}, strict=False)
    return loss_fn(z, y)


@pytest.mark.parametrize('name', list(BUILDERS))
def test_new_counts_replace_cached_per_class_state(name):
    z, y = _data()
    hooked = BUILDERS[name]()
    hooked.set_class_counts(OLD)
    old = _loss(hooked, z, y)
    torch.testing.assert_close(old,
                               _loss(BUILDERS[name](class_counts=OLD), z, y))
    hooked.set_class_counts(NEW)
    new = _loss(hooked, z, y)
    torch.testing.assert_close(new,
                               _loss(BUILDERS[name](class_counts=NEW), z, y))
    assert not torch.allclose(old, new)


def test_new_class_weight_replaces_cached_weight():
    z, y = _data()
    for loss_fn in (ReweightedCrossEntropyLoss(class_weight=[1.0] * 5),
                    LDAMLoss(class_counts=OLD, class_weight=[1.0] * 5)):
        plain = loss_fn(z, y, reduction_override='none')
        weights = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
        loss_fn.set_class_weight(weights)
        weighted = loss_fn(z, y, reduction_override='none')
        torch.testing.assert_close(weighted, plain * weights[y].to(plain))


def test_counts_moved_with_module_keep_cache():
    loss_fn = LogitAdjustedLoss(class_counts=OLD).to(torch.float64)
    z, y = _data()
    torch.testing.assert_close(
        loss_fn(z, y),
        F.cross_entropy(
            z + torch.tensor(OLD, dtype=torch.float64).div(sum(OLD)).log(), y))


@pytest.mark.parametrize(
    'loss_fn', [
        LogitAdjustedLoss(tau=1.5, class_counts=OLD),
        ClassBalancedLoss(beta=0.99, class_counts=OLD),
        ClassBalancedLoss(loss_type='sigmoid', beta=0.99, class_counts=OLD),
        ClassBalancedLoss(loss_type='focal', beta=0.99, class_counts=OLD),
        ClassBalancedLoss(loss_type='focal', gamma=0.5, class_counts=OLD),
        SoftmaxFocalLoss(gamma=2.0),
        SoftmaxFocalLoss(gamma=0.5),
        ReweightedCrossEntropyLoss(class_weight=[1.0, 2.0, 3.0, 4.0, 5.0]),
        LabelAwareSmoothingLoss(class_counts=OLD),
    ],
    ids=lambda loss_fn: type(loss_fn).__name__)
@pytest.mark.parametrize('reduction', ['none', 'mean'])
def test_hard_path_matches_one_hot_soft_path(loss_fn, reduction):
    z, y = _data()
    z.requires_grad_()
    hard = loss_fn(z, y, reduction_override=reduction)
    (grad_hard, ) = torch.autograd.grad(hard.sum(), z)
    soft = loss_fn(z, F.one_hot(y, 5).to(z), reduction_override=reduction)
    (grad_soft, ) = torch.autograd.grad(soft.sum(), z)
    torch.testing.assert_close(hard, soft)
    torch.testing.assert_close(grad_hard, grad_soft)


def test_ldam_scaled_margins_checked_when_counts_are_set():
    with pytest.raises(
            ValueError,
            match='LDAMLoss: the scaled margins .* '
            'are not finite; lower `s`'):
        LDAMLoss(s=1e38, max_m=10.0, class_counts=[5, 3, 1])
    hooked = LDAMLoss(s=1e38, max_m=10.0)
    with pytest.raises(ValueError, match='lower `s`'):
        hooked.set_class_counts([5, 3, 1])


def test_non_finite_logits_still_raise():
    z = torch.zeros(2, 3)
    z[1, 2] = float('inf')
    y = torch.tensor([0, 1])
    with pytest.raises(
            ValueError,
            match='LogitAdjustedLoss: the adjusted '
            'logits .* are not finite'):
        LogitAdjustedLoss(class_counts=[5, 3, 1])(z, y)
    with pytest.raises(
            ValueError, match='LDAMLoss: the margin logits .* '
            'are not finite'):
        LDAMLoss(class_counts=[5, 3, 1])(z, y)
    # A -inf logit of a non-target class is a zero probability: finite.
    z = torch.tensor([[0.0, float('-inf'), 1.0]], requires_grad=True)
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])(z, torch.tensor([0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_bad_labels_are_reported():
    loss_fn = LogitAdjustedLoss(class_counts=[5, 3, 1])
    with pytest.raises(
            ValueError,
            match=r'labels must lie in \[0, 3\), got '
            r'range \[0, 3\]'):
        loss_fn(torch.zeros(2, 3), torch.tensor([0, 3]))
    with pytest.raises(ValueError, match=r'got range \[-1, 1\]'):
        loss_fn(torch.zeros(2, 3), torch.tensor([-1, 1]))
