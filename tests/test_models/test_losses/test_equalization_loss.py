# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

from mmlt.models.losses import EqualizationLoss, equalization_tail_mask
from mmlt.utils import rank_generator


def np_ce(z, y):
    z = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    return lse - z[np.arange(len(y)), y]


def np_seql(z, y, counts, lambda_, drop):
    """Tan et al.: -log(e^{z_y} / sum_j w_j e^{z_j}),
    w_j = 1 - beta_j T(f_j) (1 - y_j)."""
    freq = counts / counts.sum()
    tail = (freq < lambda_).astype(np.float64)
    onehot = np.eye(z.shape[1])[y]
    w = 1 - drop * tail[None] * (1 - onehot)
    denom = (w * np.exp(z)).sum(axis=1)
    return -np.log(np.exp(z[np.arange(len(y)), y]) / denom)


def draw(shape, gamma, seed, step=0):
    """The Bernoulli draws of a loss built after ``torch.manual_seed(seed)``
    at its draw number ``step`` (rank 0's stream)."""
    generator = rank_generator(seed, step, rank=0)
    return (torch.rand(shape, generator=generator) < gamma).double().numpy()


def test_tail_mask():
    mask = equalization_tail_mask([90, 6, 3, 1], lambda_=0.05)
    assert mask.tolist() == [False, False, True, True]
    with pytest.raises(ValueError, match='sum to 0'):
        equalization_tail_mask([0, 0], 0.1)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_eval_is_cross_entropy(data, counts, reduction):
    z, y = data
    loss_fn = EqualizationLoss(
        lambda_=1.0, gamma=1.0, class_counts=counts,
        reduction=reduction).eval()
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    ce = np_ce(z, y)
    expected = {'none': ce, 'mean': ce.mean(), 'sum': ce.sum()}[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)


def test_all_tail_gamma_one_keeps_target_only(data, counts):
    z, y = data
    # Threshold above every class frequency: every other class is dropped.
    loss_fn = EqualizationLoss(lambda_=1.01, gamma=1.0, class_counts=counts)
    out = loss_fn(torch.tensor(z), torch.tensor(y), reduction_override='none')
    np.testing.assert_allclose(out.numpy(), 0.0, atol=1e-12)


def test_gamma_one_keeps_target_and_head(data):
    z, y = data
    counts = np.array([500, 120, 30, 8, 2])
    lambda_ = 0.1  # frequencies .76, .18, .046, .012, .003: classes 2-4 tail
    loss_fn = EqualizationLoss(lambda_=lambda_, gamma=1.0, class_counts=counts)
    out = loss_fn(torch.tensor(z), torch.tensor(y), reduction_override='none')
    # Independently: CE over {target} plus the head (non-tail) classes.
    head = counts / counts.sum() >= lambda_
    expected = []
    for logits, label in zip(z, y):
        keep = head.copy()
        keep[label] = True
        expected.append(np.log(np.exp(logits[keep]).sum()) - logits[label])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
def test_fixed_seed_matches_paper(data, counts, reduction):
    z, y = data
    lambda_, gamma = 0.15, 0.6
    # The loss records the run's seed when it is built.
    torch.manual_seed(3)
    loss_fn = EqualizationLoss(
        lambda_=lambda_, gamma=gamma, class_counts=counts, reduction=reduction)
    out = loss_fn(torch.tensor(z), torch.tensor(y))
    per_sample = np_seql(z, y, counts, lambda_, draw(z.shape, gamma, 3))
    # The next call draws the stream's next masks.
    second = np_seql(z, y, counts, lambda_, draw(z.shape, gamma, 3, step=1))
    np.testing.assert_allclose(
        loss_fn(torch.tensor(z), torch.tensor(y), reduction_override='none'),
        second,
        rtol=1e-10)
    assert int(loss_fn.rng_step) == 2
    expected = {
        'none': per_sample,
        'mean': per_sample.mean(),
        'sum': per_sample.sum()
    }[reduction]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)


def test_drop_rate_and_determinism():
    counts = np.array([1000, 10, 10, 10])
    torch.manual_seed(0)
    loss_fn = EqualizationLoss(lambda_=0.05, gamma=0.3, class_counts=counts)
    start = {k: v.clone() for k, v in loss_fn.state_dict().items()}
    z = torch.zeros(4000, 4, requires_grad=True)
    y = torch.zeros(4000, dtype=torch.long)
    loss = loss_fn(z, y)
    loss.backward()
    # A dropped logit gets no gradient; each tail logit is dropped with
    # probability gamma, per sample and class.
    dropped = (z.grad[:, 1:] == 0).double().mean().item()
    assert dropped == pytest.approx(0.3, abs=0.02)
    # The target logit is never dropped: its gradient p_y - 1 vanishes only
    # when every other logit was dropped.
    all_dropped = (z.grad[:, 1:] == 0).all(dim=1)
    assert torch.equal(z.grad[:, 0] == 0, all_dropped)
    # The global RNG does not matter; the stream's position does.
    torch.manual_seed(123)
    assert loss_fn(z, y).item() != loss.item()
    loss_fn.load_state_dict(start)
    torch.testing.assert_close(loss_fn(z, y), loss)
    torch.manual_seed(1)
    other = EqualizationLoss(lambda_=0.05, gamma=0.3, class_counts=counts)
    assert other(z, y).item() != loss.item()


def test_gradcheck_fixed_seed():
    torch.manual_seed(0)
    z = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 4, 4])
    loss_fn = EqualizationLoss(
        lambda_=0.2, gamma=0.5, class_counts=[500, 120, 30, 8, 2])
    start = {k: v.clone() for k, v in loss_fn.state_dict().items()}

    def fixed_draws(x):
        loss_fn.load_state_dict(start)
        return loss_fn(x, y)

    assert torch.autograd.gradcheck(fixed_draws, (z, ))


def test_counts_explicit_vs_set(data, counts):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    explicit = EqualizationLoss(lambda_=0.15, class_counts=counts)
    hooked = EqualizationLoss(lambda_=0.15)
    with pytest.raises(
            RuntimeError,
            match='EqualizationLoss needs the '
            'per-class training counts'):
        hooked(z, y)
    hooked.set_class_counts(counts)
    torch.manual_seed(0)
    a = hooked(z, y)
    torch.manual_seed(0)
    torch.testing.assert_close(explicit(z, y), a)
    # A class without training images is a tail class.
    zero = EqualizationLoss(lambda_=0.1, class_counts=[10, 0, 5])
    assert zero.tail_mask.tolist() == [False, True, False]


def test_build_and_bad_inputs():
    loss_fn = MODELS.build(
        dict(
            type='EqualizationLoss',
            lambda_=1.76e-3,
            gamma=0.9,
            class_counts=[5, 3, 1]))
    assert isinstance(loss_fn, EqualizationLoss)
    assert (loss_fn.lambda_, loss_fn.gamma) == (1.76e-3, 0.9)
    with pytest.raises(ValueError, match='EqualizationLoss: `gamma`'):
        EqualizationLoss(gamma=1.5)
    with pytest.raises(ValueError, match='EqualizationLoss: `lambda_`'):
        EqualizationLoss(lambda_=-1)
    with pytest.raises(
            ValueError,
            match='EqualizationLoss needs integer '
            'class labels.*soft targets'):
        loss_fn(torch.randn(2, 3), torch.tensor([[0.5, 0.5, 0.0]] * 2))
    # Exactly one-hot (N, C) targets are read as labels.
    one_hot = torch.eye(3)[torch.tensor([0, 2])]
    start = {k: v.clone() for k, v in loss_fn.state_dict().items()}
    a = loss_fn(torch.ones(2, 3), one_hot)
    loss_fn.load_state_dict(start)
    torch.testing.assert_close(a,
                               loss_fn(torch.ones(2, 3), torch.tensor([0, 2])))
    with pytest.raises(
            ValueError,
            match='EqualizationLoss: class_counts has '
            '3 entries but cls_score has 2'):
        loss_fn(torch.randn(2, 2), torch.tensor([0, 1]))
