# Copyright (c) mmlt contributors. All rights reserved.
import io
from types import SimpleNamespace
from unittest import mock

import numpy as np
import pytest
import torch
from dist_utils import run_distributed
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.engine.hooks import ClassFeatureStatsHook
from mmlt.engine.hooks.class_feature_stats_hook import (all_reduce_moments,
                                                        batch_anchor_slots,
                                                        gather_anchors,
                                                        place_anchors)
from mmlt.models.utils.feature_calibration import class_moments

COUNTS = [12, 8, 6, 4]


def _model():
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='CifarResNet', depth=8, in_channels=1, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='AdaptiveFeatureGeneratorHead',
                num_classes=4,
                in_channels=32,
                k=1,
                tail_max_count=8,
                class_counts=COUNTS,
                covariance_type='full',
                max_anchors_per_class=3)))


def _batches(labels, seed=0, batch=5):
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(len(labels), 1, 12, 12, generator=gen) * 255
    out = []
    for i in range(0, len(labels), batch):
        out.append(
            dict(
                inputs=list(images[i:i + batch]),
                data_samples=[
                    DataSample().set_gt_label(int(c))
                    for c in labels[i:i + batch]
                ]))
    return out


LABELS = torch.repeat_interleave(
    torch.arange(4), torch.tensor(COUNTS))[torch.randperm(
        30, generator=torch.Generator().manual_seed(1))]


def _runner(model, loader):
    return SimpleNamespace(
        model=model, train_dataloader=loader, logger=mock.MagicMock())


def test_collect_matches_direct_statistics_and_is_skipped_when_loaded():
    model = _model()
    loader = _batches(LABELS)
    ClassFeatureStatsHook().before_train(_runner(model, loader))
    head = model.head
    assert head.stats_ready and bool(head.teacher_ready)
    assert torch.equal(head.teacher_weight, head.fc.weight)
    assert model.training  # restored
    # Direct: all features at once, transformed, mean and covariance.
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(
                inputs=[x for b in loader for x in b['inputs']],
                data_samples=None), False)
        feats = head.transform(
            head.pre_logits(model.extract_feat(data['inputs']))).double()
    for c in range(4):
        rows = feats[LABELS == c]
        assert torch.allclose(
            head.feature_mean[c].double(), rows.mean(0), atol=1e-5)
        cov = head.feature_root[c].double() @ head.feature_root[c].T.double()
        assert torch.allclose(cov, torch.cov(rows.T), atol=1e-4)
    # Tail classes (counts <= 8 with a richer class): 1, 2, 3, 3 anchors.
    assert head.anchor_count.tolist() == [0, 3, 3, 3]
    assert torch.allclose(
        head.anchors[6:9].double(), feats[LABELS == 3][:3], atol=1e-5)
    # Stats present (resume): no second pass over the data.
    before = head.feature_mean.clone()
    ClassFeatureStatsHook().before_train(_runner(model, loader[:1]))
    assert torch.equal(head.feature_mean, before)


def _sharded_stats(rank, world_size):
    head = _model().head
    gen = torch.Generator().manual_seed(3)
    feats = torch.rand(30, 32, generator=gen)
    # Rank r sees every world_size-th sample (as a DistributedSampler).
    idx = torch.arange(rank, 30, world_size)
    moments = class_moments(
        head.transform(feats[idx]), LABELS[idx], head.num_classes,
        head.covariance_type, head.sketch)
    all_reduce_moments(moments)
    capacity = head.anchor_capacity()[0]
    anchors = torch.zeros(int(capacity.sum()), 32)
    count = torch.zeros_like(head.anchor_count)
    for c, start in ((1, 0), (2, 3), (3, 6)):
        rows = head.transform(feats[idx][LABELS[idx] == c])[:3]
        anchors[start:start + len(rows)] = rows
        count[c] = len(rows)
    anchors, count = gather_anchors(anchors, count, capacity)
    head.set_feature_stats(moments, anchors, count)
    return {
        k: getattr(head, k).clone()
        for k in ('feature_count', 'feature_mean', 'feature_root',
                  'anchor_count')
    }


def test_two_ranks_give_the_one_rank_statistics():
    two = run_distributed(_sharded_stats, 2)
    # One rank, in this process (no process group: the reductions are
    # no-ops).
    one = _sharded_stats(0, 1)
    for key in ('feature_count', 'feature_mean', 'feature_root'):
        assert torch.equal(two[0][key], two[1][key]), key
        assert torch.allclose(two[0][key], one[key], atol=1e-5), key
    assert torch.equal(two[0]['anchor_count'], one['anchor_count'])


def test_place_anchors_rank_order_and_capacity():
    # Classes 0 (capacity 0), 1 (capacity 3: rows 0-2), 2 (capacity 2: rows
    # 3-4); d = 1.
    capacity = torch.tensor([0, 3, 2])
    counts = torch.tensor([[0, 2, 2], [0, 2, 1]])  # ranks 0, 1
    rank0 = torch.tensor([[10.], [11.], [0.], [20.], [21.]])
    rank1 = torch.tensor([[12.], [13.], [0.], [22.], [0.]])
    m0, count = place_anchors(rank0, counts, capacity, 0)
    m1, _ = place_anchors(rank1, counts, capacity, 1)
    # Class 1: rank 0's two, then one of rank 1's (capacity 3); class 2:
    # rank 0's two (full, rank 1's dropped).
    assert (m0 + m1).flatten().tolist() == [10., 11., 12., 20., 21.]
    assert count.tolist() == [0, 3, 2]


def test_hook_logs_anchors_and_the_diagnostic():
    model = _model()
    runner = _runner(model, _batches(LABELS))
    runner.message_hub = mock.MagicMock()
    ClassFeatureStatsHook(diagnostic_draws=64).before_train(runner)
    messages = ' '.join(c.args[0] for c in runner.logger.info.mock_calls)
    assert 'at most 3 anchors per tail class' in messages
    assert "share of each tail class's generated features" in messages
    name, value = runner.message_hub.update_scalar.mock_calls[0].args
    share = model.head.self_assignment(64)
    assert name == 'afg/self_assignment_mean'
    assert abs(value - float(share[1:].mean())) < 1e-12
    # Without a cap: every tail training feature, and the log says so.
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='CifarResNet', depth=8, in_channels=1, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='AdaptiveFeatureGeneratorHead',
                num_classes=4,
                in_channels=32,
                k=1,
                tail_max_count=8,
                class_counts=COUNTS,
                covariance_type='full')))
    runner = _runner(model, _batches(LABELS))
    ClassFeatureStatsHook(diagnostic_draws=0).before_train(runner)
    assert model.head.anchor_count.tolist() == [0, 8, 6, 4]
    messages = ' '.join(c.args[0] for c in runner.logger.info.mock_calls)
    assert 'every tail training feature is an anchor' in messages


# ------------------------------------------------- anchors without host reads


def _slots_reference(batches, tail, capacity):
    """The per-class loop the pass used to run (reads counts every batch)."""
    offset = (capacity.cumsum(0) - capacity).tolist()
    filled = [0] * len(capacity)
    out = []
    for labels in batches:
        rows = []
        for label in labels.tolist():
            if tail[label] and filled[label] < capacity[label]:
                rows.append(offset[label] + filled[label])
                filled[label] += 1
            else:
                rows.append(-1)
        out.append(rows)
    return out, filled


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_batch_anchor_slots_match_the_class_loop(seed):
    gen = torch.Generator().manual_seed(seed)
    C = 7
    tail = torch.rand(C, generator=gen) < 0.6
    capacity = torch.randint(0, 5, (C, ), generator=gen) * tail
    offset = capacity.cumsum(0) - capacity
    total = int(capacity.sum())
    batches = [torch.randint(0, C, (9, ), generator=gen) for _ in range(4)]
    ref, ref_filled = _slots_reference(batches, tail.tolist(), capacity)
    filled = torch.zeros(C, dtype=torch.long)
    for labels, want in zip(batches, ref):
        rows = batch_anchor_slots(labels, tail, filled, capacity, offset,
                                  total)
        assert [r if r < total else -1 for r in rows.tolist()] == want
        filled.index_add_(0, labels, (rows < total).long())
    assert filled.tolist() == ref_filled


def test_batch_anchor_slots_on_the_meta_device():
    labels = torch.zeros(6, dtype=torch.long, device='meta')
    vec = torch.zeros(4, dtype=torch.long, device='meta')
    rows = batch_anchor_slots(labels, vec.bool(), vec, vec, vec, 3)
    assert rows.device.type == 'meta' and rows.shape == (6, )


# ------------------------------------------------------------------ resume


class _AugmentingLoader:
    """Batches with random 'augmentation' from the global generators (torch
    and NumPy), as a training pipeline's transforms draw."""

    def __init__(self, labels):
        self.batches = _batches(labels)

    def __iter__(self):
        for batch in self.batches:
            noise = [
                torch.rand(x.shape) * 20 + float(np.random.rand()) * 10
                for x in batch['inputs']
            ]
            yield dict(
                inputs=[x + n for x, n in zip(batch['inputs'], noise)],
                data_samples=batch['data_samples'])


RECOMPUTED = ('feature_mean', 'feature_root', 'feature_diag', 'anchors',
              'support_index', 'support_weight', 'feature_count',
              'anchor_count', 'feature_checksum')


def test_resume_recomputes_the_statistics_and_draws_of_the_run():
    # Uninterrupted: statistics pass, three steps of draws, a checkpoint
    # after the first.
    torch.manual_seed(5)
    np.random.seed(5)
    model = _model()
    loader = _AugmentingLoader(LABELS)
    ClassFeatureStatsHook(
        diagnostic_draws=0).before_train(_runner(model, loader))
    head = model.head
    first = head.generate(32)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    later = [head.generate(32) for _ in range(2)]
    state = torch.load(io.BytesIO(buffer.getvalue()))
    # No statistics or anchors in the checkpoint.
    assert not any(
        k.endswith(('.feature_mean', '.feature_root', '.anchors',
                    '.support_index')) for k in state)
    # Resumed in a new process: other global random state, a fresh model.
    torch.manual_seed(99)
    np.random.seed(99)
    resumed = _model()
    resumed.load_state_dict(state)
    assert not resumed.head.stats_ready
    ClassFeatureStatsHook(
        diagnostic_draws=0).before_train(_runner(resumed, loader))
    for key in RECOMPUTED:
        assert torch.equal(getattr(resumed.head, key), getattr(head, key)), key
    again = [resumed.head.generate(32) for _ in range(2)]
    for (x, y), (x2, y2) in zip(later, again):
        assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(first[0], later[0][0])


def test_the_pass_leaves_the_global_random_state_alone():
    model = _model()
    torch.manual_seed(3)
    np.random.seed(3)
    want = (torch.rand(3), np.random.rand(3))
    torch.manual_seed(3)
    np.random.seed(3)
    ClassFeatureStatsHook(diagnostic_draws=0).before_train(
        _runner(model, _AugmentingLoader(LABELS)))
    assert torch.equal(torch.rand(3), want[0])
    assert np.array_equal(np.random.rand(3), want[1])
