# Copyright (c) mmlt contributors. All rights reserved.
"""2 gloo ranks against 1 rank, for every stateful component of mmlt.

Each component is reduced across ranks or identical on all of them; the
2-rank run and the 1-rank run with the same global batch must agree. One
2-process spawn computes every component's result (starting processes is
what costs); each test checks one component. The 1-rank run is the same
function without a process group.
"""
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from dist_utils import run_distributed, train_linear
from mmengine.dataset import DefaultSampler
from mmengine.runner import BaseLoop
from mmpretrain.models.heads import LinearClsHead

from mmlt.datasets.samplers import (ClassAwareSampler, ClassPowerSampler,
                                    ProgressivelyBalancedSampler)
from mmlt.engine.hooks import ClassCountsHook, DeferredReweightingHook
from mmlt.evaluation.metrics import LongTailMetric
from mmlt.models.heads import EnsembleClsHead
from mmlt.models.losses import (GHMCLoss, ReweightedCrossEntropyLoss,
                                deferred_reweighting_weights)

#: Training images per class of the labelled datasets below.
COUNTS = [300, 120, 40, 15, 5]
#: Indices drawn per epoch: odd, so 2 ranks pad the plan by one.
NUM_SAMPLES = 201
SAMPLERS = dict(
    ClassAwareSampler=lambda ds, seed: ClassAwareSampler(
        ds, seed=seed, num_samples=NUM_SAMPLES),
    ClassPowerSampler=lambda ds, seed: ClassPowerSampler(
        ds, q=0.5, seed=seed, num_samples=NUM_SAMPLES),
    ProgressivelyBalancedSampler=lambda ds, seed: ProgressivelyBalancedSampler(
        ds, total_epochs=2, seed=seed, num_samples=NUM_SAMPLES))
EPOCHS = 3


class LabelledDataset:
    """Images are their own index; classes interleaved."""

    def __init__(self, counts=COUNTS):
        labels = np.repeat(np.arange(len(counts)), counts)
        self.labels = np.random.default_rng(0).permutation(labels)
        self.metainfo = dict(classes=[f'c{i}' for i in range(len(counts))])

    def get_gt_labels(self):
        return self.labels

    def __len__(self):
        return self.labels.size

    def __getitem__(self, idx):
        return int(idx)


class Loop(BaseLoop):
    """The parts of a loop ``ClassCountsHook`` reads."""

    def __init__(self, dataloader=None, metrics=()):
        self.dataloader = dataloader
        self.evaluator = SimpleNamespace(metrics=list(metrics))

    def run(self):
        pass


def _data():
    rng = np.random.default_rng(3)
    labels = torch.tensor(rng.integers(0, 6, size=(3, 16)))
    labels[:, 0] = 5  # all six classes exist
    return dict(
        feats=torch.tensor(rng.normal(size=(3, 16, 4))),
        labels=labels,
        # 11 test samples: the second rank's shard is padded by one.
        scores=torch.tensor(rng.random(size=(11, 5))).float(),
        targets=torch.tensor([0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
        probe=torch.tensor(rng.normal(size=(5, 3))).float())


def _ghm(data):
    loss_fn = GHMCLoss(bins=5, momentum=0.75)
    out = train_linear(loss_fn, data['feats'], data['labels'])
    out['acc_sum'] = loss_fn.acc_sum.clone()
    return out


def _samplers():
    dataset = LabelledDataset()
    out = {}
    for name, build in SAMPLERS.items():
        # seed=None: a seed drawn on rank 0 and broadcast.
        sampler = build(dataset, None)
        plans = []
        for epoch in range(EPOCHS):
            sampler.set_epoch(epoch)
            plans.append(list(sampler))
        out[name] = dict(seed=sampler.seed, plans=plans, len=len(sampler))
    return out


def _class_counts():
    # The training loader shards the data; the hook counts the dataset.
    dataset = LabelledDataset()
    sampler = DefaultSampler(dataset, shuffle=True, seed=0)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=8, sampler=sampler)
    metric = LongTailMetric()
    runner = SimpleNamespace(
        model=torch.nn.Linear(2, 2),
        _train_loop=Loop(loader),
        _val_loop=Loop(metrics=[metric]),
        _test_loop=None,
        logger=logging.getLogger('test_rank_equivalence'))
    hook = ClassCountsHook()
    hook.before_run(runner)
    return dict(
        hook=hook.class_counts.tolist(),
        metric=metric.class_counts.tolist(),
        seen=len(list(sampler)))


def _drw():
    loss = ReweightedCrossEntropyLoss(class_counts=COUNTS)
    runner = SimpleNamespace(
        model=torch.nn.ModuleDict(dict(loss=loss)),
        epoch=2,
        logger=logging.getLogger('test_rank_equivalence'))
    DeferredReweightingHook(drw_epoch=2, beta=0.99).before_train_epoch(runner)
    return loss.class_weight.clone()


def _ensemble(data):
    # The pre-trained classifier, as every rank loads it from load_from.
    torch.manual_seed(7)
    pretrained = LinearClsHead(5, 3).state_dict()
    torch.manual_seed(0)
    head = EnsembleClsHead(5, 3)
    head.load_state_dict(pretrained)
    torch.nn.init.zeros_(head.fc.weight)  # the classifier stage starts anew
    net = head
    world_size = 1
    if torch.distributed.is_initialized():
        world_size = torch.distributed.get_world_size()
        net = torch.nn.parallel.DistributedDataParallel(
            head, broadcast_buffers=False)
    rank = torch.distributed.get_rank() if world_size > 1 else 0
    optim = torch.optim.SGD(head.fc.parameters(), lr=0.5)
    feats = data['feats'][..., :3].float()
    labels = data['labels'] % 5
    shard = slice(rank * 16 // world_size, (rank + 1) * 16 // world_size)
    for step in range(3):
        loss = torch.nn.functional.cross_entropy(
            net((feats[step, shard], )), labels[step, shard])
        optim.zero_grad()
        loss.backward()
        optim.step()
    return dict(
        pretrained=pretrained,
        old_fc=dict(head.old_fc.state_dict()),
        fc=dict(head.fc.state_dict()),
        probs=head.predict_probabilities((data['probe'], )))


def _metric(data):
    # mmengine's test loop: a DefaultSampler shard per rank, results
    # collected on rank 0 (padding dropped), metrics broadcast.
    size = len(data['targets'])
    metric = LongTailMetric(
        topk=(1, 2), class_counts=COUNTS, many_thr=100, few_thr=20)
    for idx in DefaultSampler(list(range(size)), shuffle=False):
        metric.process(None, [
            dict(
                pred_score=data['scores'][idx], gt_label=data['targets'][idx])
        ])
    return metric.evaluate(size)


def _all_components(rank, world_size, data):
    return dict(
        ghm=_ghm(data),
        samplers=_samplers(),
        class_counts=_class_counts(),
        drw=_drw(),
        ensemble=_ensemble(data),
        metric=_metric(data))


@pytest.fixture(scope='module')
def runs():
    data = _data()
    return dict(
        data=data,
        one=_all_components(0, 1, data),
        two=run_distributed(_all_components, 2, data))


def test_ghm_histogram_is_all_reduced(runs):
    one, two = runs['one']['ghm'], [out['ghm'] for out in runs['two']]
    assert one['acc_sum'].sum() > 0
    for out in two:
        torch.testing.assert_close(out['acc_sum'], one['acc_sum'])
        torch.testing.assert_close(out['weight'], one['weight'])
        torch.testing.assert_close(out['bias'], one['bias'])
    # Each rank averages over its own logits; their mean is the global loss.
    np.testing.assert_allclose(
        np.mean([out['losses'] for out in two], axis=0), one['losses'])
    # Without the all-reduce, a rank would see its shard's histogram only.
    data = runs['data']
    shard_only = _ghm(
        dict(feats=data['feats'][:, :8], labels=data['labels'][:, :8]))
    assert not torch.allclose(shard_only['acc_sum'], one['acc_sum'])


@pytest.mark.parametrize('name', list(SAMPLERS))
def test_samplers_shard_one_plan(runs, name):
    ranks = [out['samplers'][name] for out in runs['two']]
    seed = ranks[0]['seed']
    assert ranks[1]['seed'] == seed  # synchronised
    assert ranks[0]['len'] == ranks[1]['len'] == (NUM_SAMPLES + 1) // 2
    dataset = LabelledDataset()
    single = SAMPLERS[name](dataset, seed)
    for epoch in range(EPOCHS):
        single.set_epoch(epoch)
        plan = np.asarray(list(single))
        assert plan.size == NUM_SAMPLES
        shards = [np.asarray(r['plans'][epoch]) for r in ranks]
        # Disjoint strided shards of one padded plan.
        padded = np.resize(plan, NUM_SAMPLES + 1)
        np.testing.assert_array_equal(shards[0], padded[0::2])
        np.testing.assert_array_equal(shards[1], padded[1::2])
    # The plans change with the epoch.
    assert ranks[0]['plans'][0] != ranks[0]['plans'][1]


def test_class_counts_hook_counts_the_whole_set_on_every_rank(runs):
    one = runs['one']['class_counts']
    assert one['hook'] == one['metric'] == COUNTS
    assert one['seen'] == sum(COUNTS)
    for out in runs['two']:
        assert out['class_counts']['hook'] == COUNTS
        assert out['class_counts']['metric'] == COUNTS
        # ... although each rank trains on half of it.
        assert out['class_counts']['seen'] == sum(COUNTS) // 2


def test_drw_weights_identical_on_all_ranks(runs):
    expected = deferred_reweighting_weights(COUNTS, 2, 2, 0.99)
    assert not torch.allclose(expected, torch.ones(5, dtype=expected.dtype))
    for out in [runs['one']] + runs['two']:
        torch.testing.assert_close(out['drw'].double(), expected)


def test_ensemble_head_state_identical_on_all_ranks(runs):
    one = runs['one']['ensemble']
    pretrained = one['pretrained']
    for out in runs['two']:
        ens = out['ensemble']
        # The old classifier is the loaded one, on every rank.
        torch.testing.assert_close(ens['old_fc']['weight'],
                                   pretrained['fc.weight'])
        torch.testing.assert_close(ens['old_fc']['bias'],
                                   pretrained['fc.bias'])
        assert bool(ens['old_fc']['loaded'])
        # The new one trains to the 1-rank weights.
        torch.testing.assert_close(ens['fc']['weight'], one['fc']['weight'])
        torch.testing.assert_close(ens['fc']['bias'], one['fc']['bias'])
        torch.testing.assert_close(ens['probs'], one['probs'])
    assert not torch.equal(one['fc']['weight'], torch.zeros(5, 3))


def test_long_tail_metric_collects_all_ranks(runs):
    one = runs['one']['metric']
    assert set(one) >= {
        'long-tail/top1', 'long-tail/top2', 'long-tail/many',
        'long-tail/gmean_recall', 'long-tail/lowest_recall'
    }
    for out in runs['two']:
        # Metrics broadcast to every rank, equal to the 1-rank ones: the
        # padded duplicate is dropped and nothing is missing.
        assert out['metric'] == pytest.approx(one)
