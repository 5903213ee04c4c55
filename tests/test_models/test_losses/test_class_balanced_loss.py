# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import ClassBalancedLoss, class_balanced_weights


def np_weights(counts, beta, weighting):
    counts = np.asarray(counts, dtype=np.float64)
    if weighting == 'inverse':
        w = 1.0 / counts
    else:
        w = (1.0 - beta) / (1.0 - np.power(beta, counts))
    return w / w.sum() * counts.size


def np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def np_unweighted(z, y, loss_type, gamma):
    """Cui et al.'s per-sample losses for hard labels."""
    onehot = np.eye(z.shape[1])[y]
    if loss_type == 'softmax':
        return -np_log_softmax(z)[np.arange(len(y)), y]
    # Stable BCE with logits.
    bce = np.maximum(z, 0) - z * onehot + np.log1p(np.exp(-np.abs(z)))
    if loss_type == 'sigmoid':
        return bce.sum(axis=1)
    # Cui et al.'s modulator exp(-gamma*y*z - gamma*log(1 + exp(-z))).
    modulator = np.exp(-gamma * onehot * z - gamma * np.log1p(np.exp(-z)))
    return (modulator * bce).sum(axis=1)


def np_cb_loss(z, y, counts, loss_type, beta, weighting, gamma, reduction):
    w = np_weights(counts, beta, weighting)[y]
    loss = w * np_unweighted(z, y, loss_type, gamma)
    return {
        'none': loss,
        'sum': loss.sum(),
        'mean': loss.sum() / len(y)
    }[reduction]


@pytest.mark.parametrize('beta', [0.0, 0.9, 0.999, 0.9999])
@pytest.mark.parametrize('weighting', ['effective_number', 'inverse'])
def test_weights(counts, beta, weighting):
    w = class_balanced_weights(torch.as_tensor(counts), beta, weighting)
    np.testing.assert_allclose(
        w.numpy(), np_weights(counts, beta, weighting), rtol=1e-10)
    assert w.sum().item() == pytest.approx(counts.size)


def test_weights_limits():
    counts = [100, 10, 1]
    np.testing.assert_allclose(class_balanced_weights(counts, 0.0), 1.0)
    # beta -> 1 approaches inverse-frequency weighting.
    np.testing.assert_allclose(
        class_balanced_weights(counts, 1 - 1e-9),
        class_balanced_weights(counts, 0.5, 'inverse'),
        rtol=1e-6)


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_loss_matches_paper(counts, data, loss_type, reduction):
    z, y = data
    beta, gamma = 0.99, 1.5
    loss_fn = ClassBalancedLoss(
        loss_type=loss_type,
        beta=beta,
        gamma=gamma,
        class_counts=counts,
        reduction=reduction,
        loss_weight=2.0)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    expected = 2.0 * np_cb_loss(z, y, counts, loss_type, beta,
                                'effective_number', gamma, reduction)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_inverse_and_avg_factor_and_weight(data, counts, loss_type):
    z, y = data
    sample_w = np.linspace(0.5, 2, len(y))
    loss_fn = ClassBalancedLoss(
        loss_type=loss_type, weighting='inverse', class_counts=counts)
    out = loss_fn(
        torch.tensor(z),
        torch.tensor(y),
        weight=torch.tensor(sample_w),
        avg_factor=4.0)
    per_sample = np_cb_loss(z, y, counts, loss_type, 0.9999, 'inverse', 2.0,
                            'none')
    np.testing.assert_allclose(
        out.item(), (sample_w * per_sample).sum() / 4.0, rtol=1e-6)
    # The head passes avg_factor=N: same as the plain mean over the batch.
    np.testing.assert_allclose(
        loss_fn(torch.tensor(z), torch.tensor(y), avg_factor=len(y)).item(),
        per_sample.mean(),
        rtol=1e-6)


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_soft_targets_are_the_mixup_criterion(data, counts, loss_type):
    z, y = data
    y2 = np.roll(y, 3)
    lam = 0.3
    soft = lam * np.eye(counts.size)[y] + (1 - lam) * np.eye(counts.size)[y2]
    loss_fn = ClassBalancedLoss(
        loss_type=loss_type, beta=0.999, class_counts=counts)
    out = loss_fn(torch.tensor(z), torch.tensor(soft))
    expected = lam * np_cb_loss(z, y, counts, loss_type, 0.999,
                                'effective_number', 2.0, 'mean') + \
        (1 - lam) * np_cb_loss(z, y2, counts, loss_type, 0.999,
                               'effective_number', 2.0, 'mean')
    np.testing.assert_allclose(out.item(), expected, rtol=1e-6)


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    explicit = ClassBalancedLoss(beta=0.99, class_counts=counts)
    hooked = ClassBalancedLoss(beta=0.99)
    with pytest.raises(
            RuntimeError,
            match='ClassBalancedLoss needs the '
            'per-class training counts'):
        hooked(z, y)
    assert hooked.set_class_counts(counts) is True
    torch.testing.assert_close(hooked(z, y), explicit(z, y))
    # Explicit counts win over the hook's.
    assert explicit.set_class_counts(counts[::-1].copy()) is False
    torch.testing.assert_close(hooked(z, y), explicit(z, y))
    # New counts refresh the derived weights.
    hooked.set_class_counts(counts[::-1].copy())
    np.testing.assert_allclose(
        hooked.cb_weight.numpy(),
        np_weights(counts[::-1], 0.99, 'effective_number'),
        rtol=1e-6)
    assert 'cb_weight' not in hooked.state_dict()


@pytest.mark.parametrize('loss_type', ['softmax', 'sigmoid', 'focal'])
def test_gradcheck(loss_type):
    torch.manual_seed(0)
    z = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 1])
    soft = torch.softmax(torch.randn(6, 4, dtype=torch.float64), dim=1)
    loss_fn = ClassBalancedLoss(
        loss_type=loss_type, gamma=2.0, class_counts=[50, 10, 3, 1])
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, y), (z, ))
    assert torch.autograd.gradcheck(lambda x: loss_fn(x, soft), (z, ))


def test_focal_stable_for_large_logits():
    z = torch.tensor([[80.0, -80.0, 0.0]], requires_grad=True)
    loss_fn = ClassBalancedLoss(loss_type='focal', class_counts=[3, 2, 1])
    loss = loss_fn(z, torch.tensor([1]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_build_from_config():
    loss_fn = MODELS.build(
        dict(
            type='ClassBalancedLoss',
            loss_type='focal',
            weighting='effective_number',
            beta=0.999,
            gamma=1.0,
            class_counts=[5, 3, 1],
            loss_weight=0.5,
            reduction='sum'))
    assert isinstance(loss_fn, ClassBalancedLoss)
    assert (loss_fn.loss_type, loss_fn.gamma, loss_fn.reduction) == \
        ('focal', 1.0, 'sum')


@pytest.mark.parametrize('beta', [1.0, -0.1, 1.5, float('nan')])
def test_bad_beta(beta):
    with pytest.raises(
            ValueError, match=r'ClassBalancedLoss: `beta` must be'
            r'.*\[0, 1\)'):
        ClassBalancedLoss(beta=beta)
    with pytest.raises(ValueError, match='class_balanced_weights: `beta`'):
        class_balanced_weights([1, 2], beta)


def test_bad_inputs():
    with pytest.raises(
            ValueError,
            match='ClassBalancedLoss: `loss_type`.*'
            "'softmax'.*'foo'"):
        ClassBalancedLoss(loss_type='foo')
    with pytest.raises(ValueError, match='ClassBalancedLoss: `weighting`'):
        ClassBalancedLoss(weighting='sqrt')
    with pytest.raises(ValueError, match='ClassBalancedLoss: `reduction`'):
        ClassBalancedLoss(reduction='avg')
    with pytest.raises(
            ValueError,
            match='ClassBalancedLoss: classes \\[1\\] '
            'have zero training images'):
        ClassBalancedLoss(class_counts=[3, 0, 1])
    loss_fn = ClassBalancedLoss(class_counts=[3, 2, 1])
    with pytest.raises(
            ValueError,
            match='ClassBalancedLoss: class_counts has '
            '3 entries but cls_score has 4 classes'):
        loss_fn(torch.randn(2, 4), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='reduction_override'):
        loss_fn(
            torch.randn(2, 3), torch.tensor([0, 1]), reduction_override='avg')
    with pytest.raises(ValueError, match='labels must lie in \\[0, 3\\)'):
        loss_fn(torch.randn(2, 3), torch.tensor([0, 3]))
