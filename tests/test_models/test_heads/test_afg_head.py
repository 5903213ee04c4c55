# Copyright (c) mmlt contributors. All rights reserved.
from unittest import mock

import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.heads import AdaptiveFeatureGeneratorHead, afg_tail_mask
from mmlt.models.losses import kl_distillation
from mmlt.models.utils.feature_calibration import class_moments

COUNTS = [200, 100, 50, 20, 5]


def _head(**kwargs):
    cfg = dict(
        type='AdaptiveFeatureGeneratorHead',
        num_classes=5,
        in_channels=4,
        k=2,
        tail_max_count=60,
        class_counts=COUNTS,
        covariance_type='full')
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _set_stats(head, seed=0):
    """Statistics of random non-negative features, COUNTS per class (what
    ClassFeatureStatsHook computes, reproducibly, on start and resume)."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.repeat_interleave(torch.arange(5), torch.tensor(COUNTS))
    feats = torch.rand(len(labels), 4, generator=gen) + labels[:, None] * 0.5
    moments = class_moments(
        head.transform(feats), labels, head.num_classes, head.covariance_type,
        head.sketch)
    capacity = head.anchor_capacity()[0]
    rows = [
        head.transform(feats[labels == c])[:int(capacity[c])] for c in range(5)
    ]
    head.set_feature_stats(moments, torch.cat(rows), capacity)
    return feats, labels, gen


def _fit(head, seed=0):
    """Statistics and a teacher that differs from the student."""
    feats, labels, gen = _set_stats(head, seed)
    with torch.no_grad():
        head.fc.weight.normal_(generator=gen)
    head.init_teacher()
    with torch.no_grad():
        head.fc.weight.add_(0.5)  # student differs from the teacher
    return feats, labels


def test_tail_mask_rule():
    counts = torch.tensor(COUNTS)
    assert afg_tail_mask(counts, 60, 2).tolist() == [0, 0, 1, 1, 1]
    # The two head-most classes cannot have 2 richer classes: head classes.
    assert afg_tail_mask(counts, 1000, 2).tolist() == [0, 0, 1, 1, 1]
    assert afg_tail_mask(counts, 1000, 1).tolist() == [0, 1, 1, 1, 1]


def test_generation_fills_the_gap_and_stays_finite():
    head = _head(alpha=0.1)
    _fit(head)
    torch.manual_seed(0)
    feats, labels = head.generate(20000)
    assert torch.isfinite(feats).all() and (feats >= 0).all()
    freq = torch.bincount(labels, minlength=5).double() / len(labels)
    gap = torch.tensor([0., 100, 150, 180, 195])
    np.testing.assert_allclose(
        freq.numpy(), (gap / gap.sum()).numpy(), atol=0.015)
    # Head class 1 is drawn from its own (Tukey-space) Gaussian.
    own = head.transform(feats[labels == 1]).mean(0)
    assert torch.allclose(own, head.feature_mean[1], atol=0.03)


def test_loss_mixes_generated_features():
    head = _head(generated_ratio='balance', kd_weight=0.0)
    _fit(head)
    counts = np.array(COUNTS)
    assert head.num_generated(100) == round(100 *
                                            (counts.max() - counts).sum() /
                                            counts.sum())
    head.train()
    seen = {}
    orig = head.loss_module.forward

    def spy(cls_score, label, **kwargs):
        seen['n'] = cls_score.size(0)
        return orig(cls_score, label, **kwargs)

    head.loss_module.forward = spy
    samples = [DataSample().set_gt_label(c) for c in [0, 1, 3]]
    losses = head.loss((torch.rand(3, 4), ), samples)
    assert seen['n'] == 3 + head.num_generated(3)
    assert 'loss_kd' not in losses and torch.isfinite(losses['loss'])
    head.eval()
    head.loss((torch.rand(3, 4), ), samples)
    assert seen['n'] == 3  # no generation outside training


def test_kd_applies_to_head_classes_only():
    head = _head(generated_ratio=0.0, kd_weight=1.0, kd_temperature=2.0)
    _fit(head)
    head.train()
    labels = [0, 1, 2, 3, 4, 0]  # tail: 2, 3, 4
    feats = torch.rand(6, 4, requires_grad=True)
    samples = [DataSample().set_gt_label(c) for c in labels]
    losses = head.loss((feats, ), samples)
    (grad, ) = torch.autograd.grad(losses['loss_kd'], feats)
    tail = torch.tensor([False, False, True, True, True, False])
    assert (grad[tail] == 0).all()
    assert (grad[~tail].abs().sum(1) > 0).all()
    # Its value: the mean over head samples of T^2 KL(teacher || student).
    with torch.no_grad():
        per = kl_distillation(head.fc(feats), head.teacher_logits(feats), 2.0)
    assert torch.allclose(losses['loss_kd'], per[~tail].mean())
    # Scheduled weight scales it; 0 switches it off.
    head.kd_weight = 0.25
    assert torch.allclose(
        head.loss((feats, ), samples)['loss_kd'], 0.25 * per[~tail].mean())


def test_kl_distillation_formula_and_gradcheck():
    s = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.randn(3, 4, dtype=torch.float64)
    T = 3.0
    ps = torch.softmax(s / T, 1)
    pt = torch.softmax(t / T, 1)
    ref = T**2 * (pt * (pt.log() - ps.log())).sum(1)
    assert torch.allclose(kl_distillation(s, t, T), ref)
    assert torch.autograd.gradcheck(lambda x: kl_distillation(x, t, T), (s, ))
    assert torch.allclose(
        kl_distillation(t, t, T), torch.zeros(3, dtype=t.dtype))
    with pytest.raises(ValueError, match='temperature'):
        kl_distillation(s, t, 0.0)


def test_state_survives_a_checkpoint_round_trip():
    head = _head(covariance_type='lowrank', rank=2)
    _fit(head)
    head.set_confidence(torch.tensor([0.6, 0.6, 0.2, 0.9, 1.0]))
    head.prev_class_acc.copy_(torch.tensor([0.5, 0.4, 0.3, 0.2, 0.1]))
    head.confidence_epoch.fill_(3)
    state = head.state_dict()
    fresh = _head(covariance_type='lowrank', rank=2)
    assert not fresh.stats_ready
    fresh.load_state_dict(state)
    for key in ('confidence', 'prev_class_acc', 'confidence_epoch',
                'teacher_weight', 'sketch', 'feature_count', 'anchor_count',
                'feature_checksum'):
        assert torch.equal(getattr(fresh, key), getattr(head, key)), key
    assert bool(fresh.teacher_ready) and fresh._teacher_ready
    # The statistics are not loaded: ClassFeatureStatsHook recomputes them.
    assert not fresh.stats_ready
    with pytest.raises(RuntimeError, match='ClassFeatureStatsHook'):
        fresh.generate(4)
    _set_stats(fresh)
    for key in ('feature_mean', 'feature_root', 'feature_diag', 'anchors',
                'support_index', 'support_weight'):
        assert torch.equal(getattr(fresh, key), getattr(head, key)), key
    # The teacher of the checkpoint is kept.
    fresh.init_teacher()
    assert torch.equal(fresh.teacher_weight, head.teacher_weight)


def test_bad_input():
    with pytest.raises(ValueError, match=r'confidence lambda must lie in'):
        _head(confidence=1.2)
    head = _head()
    with pytest.raises(ValueError, match=r'\[0, 1\]'):
        head.set_confidence(torch.tensor([0.5, 0.5, -0.1, 0.5, 0.5]))
    with pytest.raises(ValueError, match='covariance_type'):
        _head(covariance_type='banded')
    with pytest.raises(ValueError, match='`k` must be'):
        _head(k=0)
    with pytest.raises(ValueError, match='alpha'):
        _head(alpha=-1.0)
    with pytest.raises(RuntimeError, match='ClassFeatureStatsHook'):
        head.generate(4)
    assert isinstance(head, AdaptiveFeatureGeneratorHead)


def test_every_tail_sample_is_an_anchor_by_default():
    head = _head()
    assert head.max_anchors_per_class is None
    capacity, cap = head.anchor_capacity()
    # Tail classes 2, 3, 4 keep all their 50, 20, 5 training features.
    assert capacity.tolist() == [0, 0, 50, 20, 5] and cap is None
    feats, labels = _fit(head)
    assert head.anchors.shape == (75, 4)
    assert torch.allclose(head.anchors[50:70],
                          head.transform(feats[labels == 3]))
    # A budget that holds the statistics and 30 anchors caps them at 12
    # (12 + 12 + 5 <= 30).
    # The anchors get half of what the statistics leave (two copies while
    # they are gathered).
    from mmlt.models.utils.feature_calibration import anchor_bytes
    budget = head.memory_bytes()['total'] + 2 * 30 * anchor_bytes(4, 2)
    small = _head(memory_limit_gb=budget / 1024**3)
    assert small.anchor_capacity()[1] == 12
    assert small.anchor_capacity()[0].tolist() == [0, 0, 12, 12, 5]


def test_statistics_stay_out_of_the_checkpoint():
    head = _head()
    _fit(head)
    state = head.state_dict()
    for key in AdaptiveFeatureGeneratorHead.RECOMPUTED:
        assert key not in state, key
    # A checkpoint of an earlier version (statistics included) still loads
    # strictly; its statistics are dropped, to be recomputed.
    old = dict(state)
    for key in AdaptiveFeatureGeneratorHead.RECOMPUTED:
        old[key] = getattr(head, key).clone()
    del old['feature_checksum']
    fresh = _head()
    fresh.load_state_dict(old, strict=True)
    assert not fresh.stats_ready and fresh.anchors.shape == (0, 4)
    _set_stats(fresh)
    for key in AdaptiveFeatureGeneratorHead.RECOMPUTED:
        assert torch.equal(getattr(fresh, key), getattr(head, key)), key


def test_recomputed_statistics_are_checked_against_the_checkpoint():
    head = _head()
    _fit(head)
    same = _head()
    same.load_state_dict(head.state_dict())
    other = _head()
    other.load_state_dict(head.state_dict())
    with mock.patch('mmengine.logging.print_log') as log:
        _set_stats(same)
        assert not log.called
        _set_stats(other, seed=1)  # other features: other class means
        assert log.called and 'differ' in log.call_args[0][0]


def test_support_sets_of_every_anchor_match_brute_force():
    head = _head(support_weighting='distance')
    _fit(head)
    counts = torch.tensor(COUNTS)
    labels = head.anchor_labels()
    dist = torch.cdist(head.anchors, head.feature_mean)
    for i, c in enumerate(labels.tolist()):
        cand = [j for j in range(5) if counts[j] > counts[c]]
        best = sorted(cand, key=lambda j: float(dist[i, j]))[:2]
        assert head.support_index[i].tolist() == best
        inv = 1 / (dist[i, best] + 1e-6)
        assert torch.allclose(head.support_weight[i], inv / inv.sum())


def test_draws_advance_and_resume_exactly():
    torch.manual_seed(7)
    head = _head()
    _fit(head)
    first, _ = head.generate(16)
    state = head.state_dict()
    second, second_labels = head.generate(16)
    assert not torch.equal(first, second)  # the counter moved on
    assert head.random_state() == (7, 2)
    torch.manual_seed(123)  # a resumed process is seeded anew
    resumed = _head()
    resumed.load_state_dict(state)
    assert resumed.random_state() == (7, 1)
    _set_stats(resumed)  # ClassFeatureStatsHook, on resume
    again, again_labels = resumed.generate(16)
    assert torch.equal(again, second)
    assert torch.equal(again_labels, second_labels)
    # The global generator is left alone.
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    head.generate(16)
    assert torch.equal(torch.rand(1), before)


def _rank_draws(rank, world_size):
    torch.manual_seed(0)  # mmengine seeds every rank alike
    head = _head()
    _fit(head)
    draws = [head.generate(64) for _ in range(2)]
    return dict(
        feats=torch.cat([d[0] for d in draws]),
        labels=torch.cat([d[1] for d in draws]),
        state=head.random_state())


def test_ranks_draw_different_features_reproducibly():
    from dist_utils import run_distributed
    two = run_distributed(_rank_draws, 2)
    assert two[0]['state'] == two[1]['state'] == (0, 2)
    assert not torch.equal(two[0]['labels'], two[1]['labels'])
    assert not torch.allclose(two[0]['feats'], two[1]['feats'])
    # Reproducible: a new run (here one process, rank 0) draws the same.
    one = _rank_draws(0, 1)
    assert torch.equal(one['feats'], two[0]['feats'])


def _separable_head(**kwargs):
    """Five classes at distinct corners, a teacher that classifies them."""
    head = _head(**kwargs)
    gen = torch.Generator().manual_seed(0)
    labels = torch.repeat_interleave(torch.arange(5), torch.tensor(COUNTS))
    centers = torch.eye(5, 4) * 9.0 + 1.0
    feats = centers[labels] + 0.05 * torch.rand(len(labels), 4, generator=gen)
    moments = class_moments(head.transform(feats), labels, 5, 'full')
    capacity = head.anchor_capacity()[0]
    head.set_feature_stats(
        moments,
        torch.cat([
            head.transform(feats[labels == c])[:int(capacity[c])]
            for c in range(5)
        ]), capacity)
    with torch.no_grad():
        # Nearest centre (in the backbone's space): w = c, b = -|c|^2 / 2.
        head.fc.weight.copy_(centers)
        head.fc.bias.copy_(-0.5 * (centers**2).sum(1))
    head.init_teacher()
    return head, feats, labels


def test_self_assignment_diagnostic():
    # lambda = 0: the draws are the anchors, which the teacher classifies
    # correctly: share 1 for every tail class; NaN for head classes.
    head, feats, labels = _separable_head(
        confidence=0.0, mean_transfer='interpolate')
    share = head.self_assignment(200)
    assert torch.isnan(share[:2]).all()
    assert torch.equal(share[2:], torch.ones(3, dtype=torch.float64))
    # lambda = 1 moves the means onto the support classes: the teacher
    # reads (almost) every draw as another class.
    head.set_confidence(1.0)
    assert (head.self_assignment(200)[2:] < 0.05).all()
    # Borrowing only the covariance keeps them in their class at any lambda.
    head, _, _ = _separable_head(
        confidence=1.0, mean_transfer='covariance_only')
    assert (head.self_assignment(200)[2:] > 0.95).all()
    # Against a direct count on the same draws (the diagnostic's stream).
    gen = torch.Generator().manual_seed(head.random_state()[0])
    cls = torch.tensor([2, 3, 4]).repeat_interleave(50)
    drawn = head._to_feature_space(head._sample_tail(cls, gen))
    pred = (drawn @ head.teacher_weight.T + head.teacher_bias).argmax(1)
    want = (pred == cls).double().view(3, 50).mean(1)
    assert torch.equal(head.self_assignment(50)[2:], want)
    # It does not touch the training stream.
    assert head.random_state()[1] == 0


def test_mean_transfer_and_weighting_are_used_by_generate():
    head, _, _ = _separable_head(
        confidence=1.0, mean_transfer='covariance_only')
    torch.manual_seed(0)
    x, y = head.generate(4000)
    tail = y >= 2
    # The tail draws stay at their own class (covariance_only).
    centers = torch.eye(5, 4) * 9.0 + 1.0
    near = torch.cdist(x[tail], centers).argmin(1)
    assert (near == y[tail]).float().mean() > 0.95
    with pytest.raises(ValueError, match='mean_transfer'):
        _head(mean_transfer='shift')
    with pytest.raises(ValueError, match='support_weighting'):
        _head(support_weighting='count')


def test_checkpoint_holds_no_statistics_and_no_running_sums():
    head = _head(covariance_type='lowrank', rank=2, memory_limit_gb=0.01)
    _fit(head)
    state = head.state_dict()
    # No float64 tensor (the running sums are the statistics pass's own).
    assert all(v.dtype != torch.float64 for v in state.values())
    size = {k: v.numel() * v.element_size() for k, v in state.items()}
    C, d = 5, 4
    # The classifier and the teacher (C (d + 1) float32 each), lambda and
    # the previous accuracies (C each), the fingerprint (3 C), the sketch
    # (d x r) and a few scalars; nothing that grows with the anchors or
    # with d x r per class.
    expected = (2 * 4 * C * (d + 1) + 4 * 2 * C + (4 + 8 + 4) * C + 4 * d * 2)
    scalars = sum(v for k, v in size.items() if state[k].numel() <= 2)
    assert sum(size.values()) - scalars == expected, size
