# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
from sampler_test_utils import COUNTS, assert_frequencies, assert_uniform

from mmlt.datasets.samplers import (class_sampling_probabilities,
                                    draw_class_balanced_plan, group_by_class,
                                    progressive_probabilities)


def _draw(labels, num_classes, probs, num_samples=40000, seed=0):
    sorted_index, starts, counts = group_by_class(labels, num_classes)
    rng = np.random.Generator(np.random.PCG64(seed))
    return draw_class_balanced_plan(sorted_index, starts, counts, probs,
                                    num_samples, rng)


def test_group_by_class():
    labels = np.array([2, 0, 2, 3, 0, 2])
    sorted_index, starts, counts = group_by_class(labels, 5)
    assert counts.tolist() == [2, 0, 3, 1, 0]
    for c in range(5):
        members = sorted_index[starts[c]:starts[c] + counts[c]]
        # Every class slice holds exactly its images, in dataset order.
        assert members.tolist() == np.flatnonzero(labels == c).tolist()


def test_class_sampling_probabilities():
    counts = np.array(COUNTS, dtype=np.float64)
    np.testing.assert_allclose(
        class_sampling_probabilities(COUNTS, 1.), counts / counts.sum())
    np.testing.assert_allclose(
        class_sampling_probabilities(COUNTS, 0.), np.full(4, 0.25))
    root = np.sqrt(counts)
    np.testing.assert_allclose(
        class_sampling_probabilities(COUNTS, 0.5), root / root.sum())


@pytest.mark.parametrize('q', [0., 0.5, 1., 2.])
def test_class_sampling_probabilities_empty_class(q):
    probs = class_sampling_probabilities([4, 0, 1], q)
    assert probs[1] == 0
    assert probs.sum() == pytest.approx(1.)
    np.testing.assert_allclose(probs[[0, 2]] / probs[[0, 2]].sum(),
                               np.array([4., 1.])**q / (4.**q + 1.))


def test_class_sampling_probabilities_errors():
    with pytest.raises(ValueError, match='q must be >= 0'):
        class_sampling_probabilities(COUNTS, -0.5)
    with pytest.raises(ValueError, match='q must be >= 0'):
        class_sampling_probabilities(COUNTS, float('nan'))
    with pytest.raises(ValueError, match='at least one class'):
        class_sampling_probabilities([0, 0], 1.)
    with pytest.raises(ValueError, match='non-negative'):
        class_sampling_probabilities([3, -1], 1.)


def test_progressive_probabilities():
    counts = np.array(COUNTS, dtype=np.float64)
    instance = counts / counts.sum()
    uniform = np.full(4, 0.25)
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, 0, 10), instance)
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, 10, 10), uniform)
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, 5, 10), (instance + uniform) / 2)
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, 3, 10),
        0.7 * instance + 0.3 * uniform)
    # t / T is clamped to [0, 1].
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, 25, 10), uniform)
    np.testing.assert_allclose(
        progressive_probabilities(COUNTS, -1, 10), instance)
    with pytest.raises(ValueError, match='total_epochs must be >= 1'):
        progressive_probabilities(COUNTS, 0, 0)


def test_draw_class_frequencies_and_uniform_images():
    labels = np.random.default_rng(1).permutation(
        np.repeat(np.arange(4), COUNTS))
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    plan = _draw(labels, 4, probs)
    assert plan.shape == (40000, ) and plan.dtype == np.int64
    assert plan.min() >= 0 and plan.max() < labels.size
    assert_frequencies(labels[plan], probs)
    # Within a class, every image is equally likely.
    for c in range(4):
        members = np.flatnonzero(labels == c)
        drawn = plan[labels[plan] == c]
        assert_uniform(np.searchsorted(members, drawn), members.size)


def test_draw_never_picks_zero_probability_classes():
    labels = np.repeat(np.arange(5), [3, 0, 2, 4, 6])
    # Class 1 has no images; classes 2 and 4 (the last) have images but
    # probability 0.
    probs = np.array([0.5, 0., 0., 0.5, 0.])
    plan = _draw(labels, 5, probs, num_samples=20000)
    assert_frequencies(labels[plan], probs)


class _ConstantGenerator:
    """Stands in for ``np.random.Generator``, always drawing ``u``."""

    def __init__(self, u):
        self.u = u

    def random(self, size):
        return np.full(size, self.u)


@pytest.mark.parametrize('u', [0., np.nextafter(1., 0.)])
def test_draw_at_the_ends_of_the_uniforms(u):
    # Leading and trailing zero-probability classes with images, and
    # probabilities whose cumulative sum rounds below 1.
    counts = [3] + [7] * 10 + [2]
    labels = np.repeat(np.arange(12), counts)
    probs = np.array([0.] + [0.1] * 10 + [0.])
    sorted_index, starts, counts = group_by_class(labels, 12)
    plan = draw_class_balanced_plan(sorted_index, starts, counts, probs, 5,
                                    _ConstantGenerator(u))
    # u == 0 is the first image of the first class with probability; u just
    # below 1 the last image of the last one.
    expected = 3 if u == 0 else 3 + 70 - 1
    assert plan.tolist() == [expected] * 5


def test_draw_is_a_function_of_the_generator():
    labels = np.repeat(np.arange(4), COUNTS)
    probs = class_sampling_probabilities(COUNTS, 0.5)
    np.testing.assert_array_equal(
        _draw(labels, 4, probs, seed=3), _draw(labels, 4, probs, seed=3))
    assert not np.array_equal(
        _draw(labels, 4, probs, seed=3), _draw(labels, 4, probs, seed=4))


def test_draw_errors():
    sorted_index, starts, counts = group_by_class([0, 0, 2], 3)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match='0 for classes without images'):
        draw_class_balanced_plan(sorted_index, starts, counts, [0.5, 0.5, 0.],
                                 10, rng)
    with pytest.raises(ValueError, match='one entry per class'):
        draw_class_balanced_plan(sorted_index, starts, counts, [1., 0.], 10,
                                 rng)
    with pytest.raises(ValueError, match='non-negative'):
        draw_class_balanced_plan(sorted_index, starts, counts, [1.5, 0., -0.5],
                                 10, rng)
