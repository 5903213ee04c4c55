# Copyright (c) mmlt contributors. All rights reserved.
"""The gradual schedule of GLAG: endpoints, monotonicity and shape."""
import math

import numpy as np
import pytest

from mmlt.models.utils import SCHEDULE_FORMS, gradual_schedule

GRID = np.linspace(0.0, 1.0, 101)


def curve(form, power=2.0):
    return np.array([gradual_schedule(x, form, power) for x in GRID])


@pytest.mark.parametrize('power', [1.0, 1.5, 2.0, 5.0])
@pytest.mark.parametrize('form', SCHEDULE_FORMS)
def test_endpoints_and_monotone(form, power):
    s = curve(form, power)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) >= 0)
    if power > 1 or form == 'linear':
        assert np.all(np.diff(s) > 0)  # strictly rising


def test_linear_is_exact():
    assert [gradual_schedule(x, 'linear', 7.0) for x in GRID] == list(GRID)
    # p = 1 makes the curved forms linear too.
    np.testing.assert_allclose(curve('convex', 1.0), GRID, atol=1e-15)
    np.testing.assert_allclose(curve('concave', 1.0), GRID, atol=1e-15)


@pytest.mark.parametrize('power', [1.5, 2.0, 3.0])
def test_shapes_by_second_differences(power):
    convex, concave = curve('convex', power), curve('concave', power)
    assert np.all(np.diff(convex, 2) > 0)
    assert np.all(np.diff(concave, 2) < 0)
    # Below/above the diagonal inside (0, 1).
    inner = slice(1, -1)
    assert np.all(convex[inner] < GRID[inner])
    assert np.all(concave[inner] > GRID[inner])


def test_formulas():
    # Independent values: x^p and its mirror 1 - (1 - x)^p.
    assert gradual_schedule(0.5, 'convex', 2.0) == pytest.approx(0.25)
    assert gradual_schedule(0.5, 'concave', 2.0) == pytest.approx(0.75)
    assert gradual_schedule(0.2, 'convex', 3.0) == pytest.approx(0.008)
    assert gradual_schedule(0.2, 'concave', 3.0) == pytest.approx(0.488)
    # The mirror symmetry s_concave(x) = 1 - s_convex(1 - x).
    np.testing.assert_allclose(
        curve('concave', 2.5), 1 - curve('convex', 2.5)[::-1], atol=1e-12)


def test_larger_power_bends_more():
    assert np.all(curve('convex', 3.0)[1:-1] < curve('convex', 2.0)[1:-1])
    assert np.all(curve('concave', 3.0)[1:-1] > curve('concave', 2.0)[1:-1])


@pytest.mark.parametrize('args, error, match', [
    ((-0.1, ), ValueError, r'progress.*\[0, 1\]'),
    ((1.01, ), ValueError, r'progress.*\[0, 1\]'),
    ((math.nan, ), ValueError, 'progress'),
    (('a', ), TypeError, 'progress'),
    ((True, ), TypeError, 'progress'),
    ((0.5, 'exponential'), ValueError, "'concave', 'linear', 'convex'"),
    ((0.5, 'convex', 0.5), ValueError, 'power.*>= 1'),
    ((0.5, 'convex', math.inf), ValueError, 'power'),
    ((0.5, 'concave', None), TypeError, 'power'),
])
def test_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        gradual_schedule(*args)
