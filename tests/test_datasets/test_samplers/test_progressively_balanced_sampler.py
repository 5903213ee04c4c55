# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
from sampler_test_utils import (COUNTS, FakeLabelledDataset,
                                assert_frequencies, plan_of)

from mmlt.datasets.samplers import ProgressivelyBalancedSampler

N = np.array(COUNTS, dtype=np.float64)
INSTANCE = N / N.sum()
CLASS = np.full(4, 0.25)


@pytest.mark.parametrize(
    'epoch, probs',
    [
        (0, INSTANCE),
        (5, (INSTANCE + CLASS) / 2),
        (10, CLASS),
        (14, CLASS),  # past total_epochs stays class-balanced
    ])
def test_class_frequencies_follow_the_epoch(epoch, probs):
    dataset = FakeLabelledDataset()
    sampler = ProgressivelyBalancedSampler(
        dataset, total_epochs=10, seed=0, num_samples=40000)
    sampler.set_epoch(epoch)
    np.testing.assert_allclose(sampler.class_probabilities(), probs)
    assert_frequencies(dataset.labels[plan_of(sampler)], probs)


def test_starts_instance_balanced_without_set_epoch():
    sampler = ProgressivelyBalancedSampler(
        FakeLabelledDataset(), total_epochs=3, seed=0)
    np.testing.assert_allclose(sampler.class_probabilities(), INSTANCE)


@pytest.mark.parametrize('total_epochs', [0, -2])
def test_total_epochs_must_be_positive(total_epochs):
    with pytest.raises(
            ValueError,
            match='ProgressivelyBalancedSampler: total_epochs must be >= 1'):
        ProgressivelyBalancedSampler(
            FakeLabelledDataset(), total_epochs=total_epochs, seed=0)
