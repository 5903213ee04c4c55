# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
from sampler_test_utils import (COUNTS, FakeLabelledDataset,
                                assert_frequencies, assert_uniform, plan_of)

from mmlt.datasets.samplers import ClassPowerSampler

N = np.array(COUNTS, dtype=np.float64)


@pytest.mark.parametrize(
    'q, probs',
    [
        (1., N / N.sum()),  # instance-balanced
        (0.5, np.sqrt(N) / np.sqrt(N).sum()),  # square-root
        (0., np.full(4, 0.25)),  # class-balanced
        (2., N**2 / (N**2).sum()),
    ])
def test_class_frequencies(q, probs):
    dataset = FakeLabelledDataset()
    sampler = ClassPowerSampler(dataset, q=q, seed=0, num_samples=40000)
    assert_frequencies(dataset.labels[plan_of(sampler)], probs)


def test_default_is_square_root():
    sampler = ClassPowerSampler(FakeLabelledDataset(), seed=0)
    assert sampler.q == 0.5
    np.testing.assert_allclose(sampler.class_probabilities(),
                               np.sqrt(N) / np.sqrt(N).sum())


def test_q1_is_uniform_over_images():
    # Instance-balanced sampling is drawing images uniformly with
    # replacement: each of the 525 images ~76 times.
    dataset = FakeLabelledDataset()
    sampler = ClassPowerSampler(dataset, q=1, seed=2, num_samples=40000)
    assert_uniform(plan_of(sampler), len(dataset))


@pytest.mark.parametrize('q', [-0.5, float('nan')])
def test_negative_q(q):
    with pytest.raises(ValueError, match='ClassPowerSampler: q must be >= 0'):
        ClassPowerSampler(FakeLabelledDataset(), q=q, seed=0)
