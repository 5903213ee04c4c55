# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmlt.utils import as_class_counts, count_classes


def test_as_class_counts_accepts_sequences():
    for counts in ([3, 2, 1], np.array([3, 2, 1]), torch.tensor([3., 2., 1.])):
        out = as_class_counts(counts, num_classes=3)
        assert out.dtype == torch.int64 and out.tolist() == [3, 2, 1]


@pytest.mark.parametrize('counts,kwargs,match', [
    ([[1, 2]], {}, 'non-empty 1-D'),
    ([], {}, 'non-empty 1-D'),
    ([1.5, 2], {}, 'non-negative integers'),
    ([-1, 2], {}, 'non-negative integers'),
    ([1, float('nan')], {}, 'non-finite'),
    ([1, 2], dict(num_classes=3), 'has 2 entries but num_classes is 3'),
    ([1, 0, 2], dict(owner='LDAMLoss'), r'LDAMLoss: classes \[1\] have zero'),
])
def test_as_class_counts_errors(counts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        as_class_counts(counts, **kwargs)


def test_zero_allowed_when_asked():
    assert as_class_counts([0, 1], allow_zero=True).tolist() == [0, 1]


def test_count_classes():

    class DS:
        metainfo = dict(classes=['a', 'b', 'c', 'd'])

        def get_gt_labels(self):
            return np.array([0, 2, 2, 1, 2])

    assert count_classes(DS()).tolist() == [1, 1, 3, 0]

    class Bad(DS):

        def get_gt_labels(self):
            return np.array([0, 4])

    with pytest.raises(ValueError, match=r'labels must lie in \[0, 4\)'):
        count_classes(Bad())
