# Copyright (c) mmlt contributors. All rights reserved.
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


def _fit(head, seed=0):
    """Statistics of random non-negative features, COUNTS per class."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.repeat_interleave(torch.arange(5), torch.tensor(COUNTS))
    feats = torch.rand(len(labels), 4, generator=gen) + labels[:, None] * 0.5
    moments = class_moments(head.transform(feats), labels, head.num_classes,
                            head.covariance_type, head.sketch)
    anchors = torch.zeros_like(head.anchors)
    count = torch.zeros_like(head.anchor_count)
    for c in head.tail_mask().nonzero().flatten().tolist():
        rows = head.transform(feats[labels == c])[:anchors.size(1)]
        anchors[c, :len(rows)] = rows
        count[c] = len(rows)
    head.set_feature_stats(moments, anchors, count)
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
    np.testing.assert_allclose(freq.numpy(), (gap / gap.sum()).numpy(),
                               atol=0.015)
    # Head class 1 is drawn from its own (Tukey-space) Gaussian.
    own = head.transform(feats[labels == 1]).mean(0)
    assert torch.allclose(own, head.feature_mean[1], atol=0.03)


def test_loss_mixes_generated_features():
    head = _head(generated_ratio='balance', kd_weight=0.0)
    _fit(head)
    counts = np.array(COUNTS)
    assert head.num_generated(100) == round(
        100 * (counts.max() - counts).sum() / counts.sum())
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
    assert torch.allclose(kl_distillation(t, t, T), torch.zeros(3,
                                                                dtype=t.dtype))
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
                'feature_mean', 'feature_root', 'anchors', 'support_index',
                'teacher_weight', 'sketch'):
        assert torch.equal(getattr(fresh, key), getattr(head, key)), key
    assert fresh.stats_ready and bool(fresh.teacher_ready)
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
