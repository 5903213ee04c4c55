# Copyright (c) mmlt contributors. All rights reserved.
import math

import numpy as np
import pytest

from mmlt.evaluation.functional import (geometric_mean, harmonic_mean,
                                        index_groups, per_class_recall,
                                        shot_groups)


def test_per_class_recall():
    # class 0: 3 of 4 right, class 1: 1 of 2, class 2: 0 of 1, class 3: none.
    target = [0, 0, 0, 0, 1, 1, 2]
    pred = [0, 0, 0, 1, 1, 3, 0]
    recall, support = per_class_recall(pred, target, num_classes=4)
    np.testing.assert_array_equal(support, [4, 2, 1, 0])
    np.testing.assert_allclose(recall[:3], [0.75, 0.5, 0.0])
    # No test sample: undefined, not 0.
    assert np.isnan(recall[3])
    assert support.dtype == np.int64


def test_per_class_recall_checks():
    with pytest.raises(ValueError, match='target has 1'):
        per_class_recall([0, 1], [0], num_classes=2)
    with pytest.raises(ValueError, match=r'pred labels must lie in \[0, 2\)'):
        per_class_recall([0, 2], [0, 1], num_classes=2)


def test_shot_groups_boundaries():
    counts = [500, 101, 100, 50, 20, 19, 1]
    groups = shot_groups(counts)
    assert list(groups) == ['many', 'medium', 'few']
    np.testing.assert_array_equal(groups['many'], [1, 1, 0, 0, 0, 0, 0])
    # Exactly 100 and exactly 20 are medium.
    np.testing.assert_array_equal(groups['medium'], [0, 0, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(groups['few'], [0, 0, 0, 0, 0, 1, 1])

    groups = shot_groups(counts, many_thr=50, few_thr=50)
    np.testing.assert_array_equal(groups['medium'], [0, 0, 0, 1, 0, 0, 0])
    with pytest.raises(ValueError, match='few_thr'):
        shot_groups(counts, many_thr=10, few_thr=20)


def test_shot_groups_with_rare():
    counts = np.array([500, 101, 100, 50, 20, 19, 10, 9, 1, 0])
    groups = shot_groups(counts, rare_thr=10)
    assert list(groups) == ['many', 'medium', 'few', 'rare']
    # Few spans rare_thr .. few_thr - 1 = 10 .. 19; exactly 10 is few.
    np.testing.assert_array_equal(groups['few'], counts_in(counts, 10, 19))
    np.testing.assert_array_equal(groups['rare'], counts_in(counts, 0, 9))
    np.testing.assert_array_equal(groups['medium'], counts_in(counts, 20, 100))
    np.testing.assert_array_equal(groups['many'], counts > 100)
    # Every class in exactly one group.
    np.testing.assert_array_equal(
        sum(mask.astype(int) for mask in groups.values()), 1)
    # The three-group split is unchanged without rare_thr, and few then
    # equals few + rare.
    three = shot_groups(counts)
    np.testing.assert_array_equal(three['few'], groups['few'] | groups['rare'])
    # Edge: rare_thr = 1 makes only classes without images rare;
    # rare_thr = few_thr - 1 leaves few the single count few_thr - 1.
    np.testing.assert_array_equal(
        shot_groups(counts, rare_thr=1)['rare'], counts == 0)
    np.testing.assert_array_equal(
        shot_groups(counts, rare_thr=19)['few'], counts == 19)


def counts_in(counts, low, high):
    return (counts >= low) & (counts <= high)


@pytest.mark.parametrize('rare_thr,match', [
    (20, r'rare_thr \(20\) must be below few_thr \(20\).*Lower rare_thr'),
    (25, r'rare_thr \(25\) must be below few_thr'),
    (0, 'rare_thr must be a positive integer'),
    (2.5, 'rare_thr must be a positive integer'),
    (True, 'rare_thr must be a positive integer'),
])
def test_shot_groups_bad_rare_thr(rare_thr, match):
    with pytest.raises(ValueError, match=match):
        shot_groups([5, 50, 500], rare_thr=rare_thr)


def test_index_groups():
    groups = index_groups(100, (36, 71))
    assert [int(mask.sum()) for mask in groups.values()] == [36, 35, 29]
    assert groups['many'][35] and groups['medium'][36]
    assert groups['medium'][70] and groups['few'][71] and groups['few'][99]

    groups = index_groups(3, (0, 2))
    np.testing.assert_array_equal(groups['many'], [0, 0, 0])
    np.testing.assert_array_equal(groups['few'], [0, 0, 1])
    with pytest.raises(ValueError, match='0 <= b1 <= b2'):
        index_groups(10, (5, 11))
    with pytest.raises(ValueError, match='two class indices'):
        index_groups(10, (5, ))


def test_means():
    gmean, num_zero = geometric_mean([0.5, 1.0, 0.25])
    assert gmean == pytest.approx(0.5)  # (0.125) ** (1 / 3)
    assert num_zero == 0
    hmean, num_zero = harmonic_mean([0.5, 1.0, 0.25])
    assert hmean == pytest.approx(3 / 7)  # 3 / (2 + 1 + 4)
    assert num_zero == 0
    # Many classes do not underflow to 0.
    assert geometric_mean([0.01] * 1000)[0] == pytest.approx(0.01)


def test_means_zero_substitution():
    gmean, num_zero = geometric_mean([0.0, 1.0])
    assert gmean == pytest.approx(math.sqrt(1e-3))
    assert num_zero == 1
    hmean, num_zero = harmonic_mean([0.0, 1.0, 0.0])
    assert hmean == pytest.approx(3 / (1000 + 1 + 1000))
    assert num_zero == 2
    assert geometric_mean([0.0, 1.0], eps=1e-2)[0] == pytest.approx(0.1)


def test_means_reject_invalid():
    with pytest.raises(ValueError, match='empty'):
        geometric_mean([])
    with pytest.raises(ValueError, match='NaN'):
        harmonic_mean([0.5, float('nan')])
