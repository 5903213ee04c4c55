# Copyright (c) mmlt contributors. All rights reserved.
import math

import pytest

from mmlt.datasets import (counts_by_class, exp_profile, long_tail_counts,
                           step_profile)


@pytest.mark.parametrize('num_classes,n_max,imbalance,total', [
    (10, 5000, 100, 12406),
    (100, 500, 100, 10847),
    (10, 5000, 10, 20431),
    (100, 500, 10, 19573),
    (10, 5000, 50, 13996),
    (100, 500, 200, 9502),
])
def test_exp_profile_matches_literature_totals(num_classes, n_max, imbalance,
                                               total):
    counts = exp_profile(num_classes, n_max, imbalance)
    assert sum(counts) == total
    assert counts[0] == n_max
    assert counts[-1] == n_max // imbalance


def test_exp_profile_values_by_hand():
    # CIFAR-10-LT at IF 100, as listed by Cao et al.
    assert exp_profile(
        10, 5000, 100) == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    # Fashion-MNIST-LT: the smallest class keeps 60 images.
    counts = exp_profile(10, 6000, 100)
    assert counts == [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    for i, n in enumerate(counts):
        assert n == math.floor(6000 * 100**(-i / 9))


def test_step_profile():
    assert step_profile(10, 5000, 100) == [5000] * 5 + [50] * 5
    assert step_profile(10, 5000, 10, head_ratio=0.3) == [5000] * 3 + [500] * 7
    assert step_profile(4, 7, 2) == [7, 7, 3, 3]


def test_profiles_balanced_and_single_class():
    assert exp_profile(5, 100, 1) == [100] * 5
    assert exp_profile(1, 100, 50) == [100]


@pytest.mark.parametrize('bad', [0.5, 0, -3])
def test_imbalance_factor_below_one(bad):
    with pytest.raises(ValueError, match='imbalance_factor must be >= 1'):
        exp_profile(10, 100, bad)
    with pytest.raises(ValueError, match='imbalance_factor must be >= 1'):
        step_profile(10, 100, bad)


def test_unknown_profile():
    with pytest.raises(ValueError, match="Unknown long-tail profile 'lin'"):
        long_tail_counts('lin', 10, 100, 10)


def test_counts_by_class_order():
    assert counts_by_class([30, 20, 10], [2, 0, 1]) == [20, 10, 30]
    assert counts_by_class([30, 20, 10]) == [30, 20, 10]
    with pytest.raises(ValueError, match='permutation'):
        counts_by_class([30, 20, 10], [0, 0, 1])
