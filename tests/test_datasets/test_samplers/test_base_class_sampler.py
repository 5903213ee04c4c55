# Copyright (c) mmlt contributors. All rights reserved.
"""Behaviour every class sampler shares: seeding, epochs, rank sharding,
reading labels and building through mmengine."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import DATA_SAMPLERS
from sampler_test_utils import (COUNTS, CatIdsOnlyDataset, FakeLabelledDataset,
                                assert_frequencies, plan_of)

import mmlt.datasets.samplers.base_class_sampler as base_module
from mmlt.datasets.samplers import (ClassAwareSampler, ClassPowerSampler,
                                    ProgressivelyBalancedSampler)

SAMPLERS = {
    'ClassAwareSampler': dict(),
    'ClassPowerSampler': dict(q=0.5),
    'ProgressivelyBalancedSampler': dict(total_epochs=4),
}
CLASSES = {
    'ClassAwareSampler': ClassAwareSampler,
    'ClassPowerSampler': ClassPowerSampler,
    'ProgressivelyBalancedSampler': ProgressivelyBalancedSampler,
}


@pytest.fixture(params=list(SAMPLERS))
def build(request):
    """``build(dataset=None, **kwargs)`` makes the sampler under test."""

    def _build(dataset=None, **kwargs):
        dataset = FakeLabelledDataset() if dataset is None else dataset
        return CLASSES[request.param](dataset, **SAMPLERS[request.param],
                                      **kwargs)

    return _build


def fake_ranks(monkeypatch, rank, world_size):
    monkeypatch.setattr(base_module, 'get_dist_info', lambda:
                        (rank, world_size))


def test_registered_in_mmpretrain():
    for name, cls in CLASSES.items():
        assert DATA_SAMPLERS.get(name) is cls
        assert DATA_SAMPLERS.module_dict[name] is cls


@pytest.mark.parametrize('num_samples', [40, 41])
def test_ranks_shard_the_single_rank_plan(build, monkeypatch, num_samples):
    plan = plan_of(build(seed=7, num_samples=num_samples), epoch=2)
    shards = []
    for rank in range(2):
        fake_ranks(monkeypatch, rank, 2)
        sampler = build(seed=7, num_samples=num_samples)
        shards.append(plan_of(sampler, epoch=2))
        assert len(sampler) == len(shards[-1]) == (num_samples + 1) // 2
    assert len(shards[0]) == len(shards[1])
    # Interleaving the shards gives back the single-rank plan, padded by
    # repeating its start when its length is odd.
    union = np.empty(2 * len(shards[0]), dtype=np.int64)
    union[0::2], union[1::2] = shards
    np.testing.assert_array_equal(union[:num_samples], plan)
    np.testing.assert_array_equal(union[num_samples:],
                                  plan[:union.size - num_samples])


def test_ranks_without_round_up(build, monkeypatch):
    plan = plan_of(build(seed=7, num_samples=41, round_up=False))
    shards = []
    for rank in range(2):
        fake_ranks(monkeypatch, rank, 2)
        sampler = build(seed=7, num_samples=41, round_up=False)
        shards.append(plan_of(sampler))
        assert len(sampler) == len(shards[-1])
    assert [len(s) for s in shards] == [21, 20]
    np.testing.assert_array_equal(plan[0::2], shards[0])
    np.testing.assert_array_equal(plan[1::2], shards[1])


def test_plan_depends_on_seed_and_epoch(build):
    sampler = build(seed=3)
    first = plan_of(sampler)
    # Iterating again without set_epoch repeats the epoch.
    np.testing.assert_array_equal(plan_of(sampler), first)
    np.testing.assert_array_equal(plan_of(build(seed=3), epoch=0), first)
    assert not np.array_equal(plan_of(sampler, epoch=1), first)
    assert not np.array_equal(plan_of(build(seed=4)), first)


def test_resume_continues_the_sequence(build):
    sampler = build(seed=11)
    uninterrupted = [plan_of(sampler, epoch) for epoch in range(4)]
    # A fresh sampler (a resumed run) set to epoch 2 by DistSamplerSeedHook.
    resumed = build(seed=11)
    for epoch in (2, 3):
        np.testing.assert_array_equal(
            plan_of(resumed, epoch), uninterrupted[epoch])


def test_seed_defaults_to_a_synchronized_one(build, monkeypatch):
    monkeypatch.setattr(base_module, 'sync_random_seed', lambda: 1234)
    sampler = build()
    assert sampler.seed == 1234
    np.testing.assert_array_equal(plan_of(sampler), plan_of(build(seed=1234)))


def test_bad_seed_and_num_samples(build):
    name = build(seed=0).__class__.__name__
    with pytest.raises(ValueError, match=f'{name}: seed must be'):
        build(seed=-1)
    with pytest.raises(ValueError, match=f'{name}: num_samples must be'):
        build(seed=0, num_samples=0)


def test_reads_labels_from_get_cat_ids(build):
    dataset = CatIdsOnlyDataset()
    sampler = build(dataset, seed=0, num_samples=20000)
    # Without metainfo, the classes are 0..max(label).
    np.testing.assert_array_equal(sampler.class_counts, COUNTS)
    assert_frequencies(dataset.labels[plan_of(sampler)],
                       sampler.class_probabilities())


class _NoGtLabel(FakeLabelledDataset):

    def get_gt_labels(self):
        # As mmpretrain's BaseDataset does for data infos without labels.
        raise KeyError('gt_label')


@pytest.mark.parametrize(
    'dataset, error, match', [
        (_NoGtLabel(), ValueError, 'the dataset has no labels'),
        (object(), TypeError, 'get_gt_labels'),
        (FakeLabelledDataset(counts=[]), ValueError, 'no labelled images'),
        (FakeLabelledDataset(num_classes=2), ValueError,
         r'labels must be in \[0, 2\)'),
    ],
    ids=['no_gt_label', 'no_label_api', 'empty', 'label_out_of_range'])
def test_datasets_without_usable_labels(build, dataset, error, match):
    name = build(seed=0).__class__.__name__
    with pytest.raises(error, match=f'{name}: .*{match}'):
        build(dataset, seed=0)


def test_builds_through_runner_build_dataloader():
    dataset = FakeLabelledDataset()
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(
            dict(
                batch_size=4,
                num_workers=0,
                sampler=dict(type='ClassPowerSampler', q=0., seed=0),
                dataset=dataset),
            seed=123)
    assert type(loader.sampler) is ClassPowerSampler
    # The config's seed wins over the runner's.
    assert loader.sampler.seed == 0
    batch = next(iter(loader))
    assert batch['index'] == plan_of(loader.sampler)[:4].tolist()
    assert len(loader) == len(dataset) // 4 + 1


def test_runner_passes_its_seed():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loader = Runner.build_dataloader(
            dict(
                batch_size=4,
                sampler=dict(type='ClassAwareSampler'),
                dataset=FakeLabelledDataset()),
            seed=123)
    assert type(loader.sampler) is ClassAwareSampler
    assert loader.sampler.seed == 123


def test_two_ranks_resume_mid_run(build, monkeypatch):
    """An iteration-based run resumed mid-epoch (the loop skips the batches
    already trained, re-drawing epochs through set_epoch) sees on every rank
    the stream of the uninterrupted run."""

    def stream(sampler, epochs):
        return np.concatenate([plan_of(sampler, e) for e in range(epochs)])

    plans = [plan_of(build(seed=5, num_samples=40), e) for e in range(3)]
    for rank in range(2):
        fake_ranks(monkeypatch, rank, 2)
        full = stream(build(seed=5, num_samples=40), 3)
        # Each rank's epoch is its half of the single-rank plan.
        np.testing.assert_array_equal(
            full, np.concatenate([p[rank::2] for p in plans]))
        skipped = 20 + 7  # one epoch of 20 indices per rank, then 7 more
        resumed = stream(build(seed=5, num_samples=40), 3)[skipped:]
        np.testing.assert_array_equal(resumed, full[skipped:])
