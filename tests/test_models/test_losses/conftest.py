# Copyright (c) mmlt contributors. All rights reserved.
"""Shared fixtures of the loss tests: count vectors and random logits."""
import numpy as np
import pytest

#: Count vectors every count-dependent loss is checked on.
COUNTS = {
    'one_per_class': [1, 1, 1, 1, 1],
    'long_tailed': [500, 120, 30, 8, 2],
    'unordered': [7, 40, 1, 13, 3],
}


@pytest.fixture(params=list(COUNTS.values()), ids=list(COUNTS))
def counts(request) -> np.ndarray:
    """A per-class count vector (5 classes)."""
    return np.asarray(request.param, dtype=np.int64)


@pytest.fixture
def data(counts):
    """Random float64 logits ``(N, C)`` and labels ``(N, )`` with every
    class present."""
    rng = np.random.default_rng(int(counts.sum()))
    num_classes = counts.size
    labels = np.concatenate(
        [np.arange(num_classes),
         rng.integers(0, num_classes, size=7)])
    logits = rng.normal(scale=2.0, size=(labels.size, num_classes))
    return logits, labels
