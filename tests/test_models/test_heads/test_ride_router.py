# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE's expert-assignment router: its targets, decision rule, loss and,
on a controlled case, its effect (easy samples stop after one expert)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmlt.models.heads import (ExpertRouter, cumulative_mean_logits,
                               route_experts, routed_logits, router_targets)


def test_cumulative_mean_and_targets():
    # 3 experts, 4 samples, 3 classes; label 0 for all.
    z = torch.tensor([
        # expert 0: right, wrong, wrong, wrong
        [[5., 0, 0], [0, 5, 0], [0, 5, 0], [0, 5, 0]],
        # expert 1: the mean of 0..1 is right for sample 1 only
        [[5., 0, 0], [9, 0, 0], [0, 5, 0], [0, 5, 0]],
        # expert 2: the mean of 0..2 is right for sample 2
        [[5., 0, 0], [9, 0, 0], [20, 0, 0], [0, 5, 0]],
    ])
    label = torch.zeros(4, dtype=torch.long)
    np.testing.assert_allclose(
        cumulative_mean_logits(z).numpy(),
        np.cumsum(z.numpy(), 0) / np.arange(1, 4)[:, None, None])
    targets = router_targets(z, label)
    # Consult the next expert iff the prefix so far is wrong and a longer
    # one is right: sample 0 never (right at once), 1 after expert 0, 2
    # after experts 0 and 1, 3 never (never right).
    assert targets.tolist() == [[False, True, True, False],
                                [False, False, True, False]]


def test_decision_rule_is_a_prefix():
    # sigmoid(logit) > 0.5 <=> logit > 0; a refusal stops the sample.
    help_logits = torch.tensor([[-1., 2., 2., 3.], [5., -2., 4., 0.]])
    used = route_experts(help_logits)
    assert used.tolist() == [[True] * 4, [False, True, True, True],
                             [False, False, True, False]]
    assert route_experts(
        help_logits, threshold=0.9).sum(0).tolist() == [1, 1, 1, 2]
    z = torch.randn(3, 4, 6)
    want = torch.stack(
        [z[:n, i].mean(0) for i, n in enumerate(used.sum(0).tolist())])
    torch.testing.assert_close(routed_logits(z, used), want)


def test_router_input_and_loss():
    torch.manual_seed(0)
    router = ExpertRouter(
        in_channels=8, num_experts=3, top_k=2, pos_weight=5.0)
    feats = [torch.randn(4, 8) for _ in range(3)]
    z = torch.randn(3, 4, 6)
    out = router(feats, z)
    assert out.shape == (2, 4)
    # Decision i reads expert i's normalised feature and the top-2 mean
    # logits of experts 0..i, sorted.
    mean = cumulative_mean_logits(z)
    for i in range(2):
        hidden = F.relu(router.hidden[i](F.normalize(feats[i], dim=1)))
        top = mean[i].sort(1, descending=True).values[:, :2]
        want = router.fc(torch.cat([top, hidden], 1)).squeeze(1)
        torch.testing.assert_close(out[i], want)
    # BCE with the positive weight, averaged over samples and decisions.
    targets = torch.rand(2, 4) > 0.5
    x, t = out.detach().double().numpy(), targets.double().numpy()
    log_sig = -np.logaddexp(0, -x)
    log_not = -np.logaddexp(0, x)
    want = -(5.0 * t * log_sig + (1 - t) * log_not).mean()
    assert router.loss(out, targets).item() == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match='top_k'):
        ExpertRouter(8, 3, top_k=7)(feats, z)
    with pytest.raises(ValueError, match='num_experts'):
        ExpertRouter(8, 1)


def test_trained_router_sends_hard_samples_to_more_experts():
    """Behaviour: easy samples (expert 0 confident and right) use one
    expert, hard ones (expert 0 wrong, the others right) more, after the
    router is trained on its targets, as RIDE's second stage does."""
    torch.manual_seed(0)
    n, c, d = 64, 5, 8
    label = torch.randint(0, c, (n, ))
    hard = torch.arange(n) % 2 == 1
    onehot = F.one_hot(label, c).float()
    wrong = F.one_hot((label + 1) % c, c).float()
    # Easy: every expert confident and right. Hard: expert 0 barely prefers
    # a wrong class, experts 1 and 2 are right.
    z0 = torch.where(hard[:, None], 1.0 * wrong, 10.0 * onehot)
    z = torch.stack([z0, 10.0 * onehot, 10.0 * onehot])
    # Easy and hard samples also look different to the expert.
    direction = torch.randn(2, d)
    feats = [
        direction[hard.long()] + 0.1 * torch.randn(n, d) for _ in range(3)
    ]
    targets = router_targets(z, label)
    assert targets[0].tolist() == hard.tolist()
    router = ExpertRouter(d, 3, top_k=c, pos_weight=1.0)
    optim = torch.optim.Adam(router.parameters(), lr=0.05)
    for _ in range(150):
        optim.zero_grad()
        router.loss(router(feats, z), targets).backward()
        optim.step()
    with torch.no_grad():
        used = router.route(router(feats, z)).sum(0)
    assert (used[~hard] == 1).all()
    assert (used[hard] >= 2).all()
    # And the routed prediction is right for all of them.
    assert (routed_logits(z,
                          router.route(router(feats,
                                              z))).argmax(1) == label).all()


def test_gradient_reaches_the_router_only():
    router = ExpertRouter(8, 3, top_k=3)
    feats = [torch.randn(4, 8, requires_grad=True) for _ in range(3)]
    z = torch.randn(3, 4, 6, requires_grad=True)
    targets = router_targets(z.detach(), torch.zeros(4, dtype=torch.long))
    router.loss(router(feats, z), targets).backward()
    assert all(p.grad is not None for p in router.parameters())
