# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
from sampler_test_utils import (COUNTS, FakeLabelledDataset,
                                assert_frequencies, assert_uniform, plan_of)

from mmlt.datasets.samplers import ClassAwareSampler


def test_classes_are_drawn_uniformly():
    dataset = FakeLabelledDataset()
    sampler = ClassAwareSampler(dataset, seed=0, num_samples=40000)
    assert len(sampler) == 40000
    plan = plan_of(sampler)
    assert_frequencies(dataset.labels[plan], np.full(4, 0.25))
    # Then an image uniformly within its class: each of the 5 tail images
    # comes ~2000 times, each head image ~25 times.
    for c in range(len(COUNTS)):
        members = np.flatnonzero(dataset.labels == c)
        drawn = plan[dataset.labels[plan] == c]
        assert_uniform(np.searchsorted(members, drawn), members.size)


def test_classes_without_images_are_never_drawn():
    # metainfo names 6 classes; the last two have no images.
    dataset = FakeLabelledDataset(num_classes=6)
    sampler = ClassAwareSampler(dataset, seed=1, num_samples=20000)
    np.testing.assert_array_equal(sampler.class_counts, COUNTS + [0, 0])
    plan = plan_of(sampler)
    assert_frequencies(dataset.labels[plan], [0.25] * 4 + [0., 0.])


def test_defaults_to_one_epoch_of_the_dataset():
    dataset = FakeLabelledDataset()
    sampler = ClassAwareSampler(dataset, seed=0)
    assert sampler.num_samples == len(dataset) == len(sampler)
    assert len(plan_of(sampler)) == len(dataset)
