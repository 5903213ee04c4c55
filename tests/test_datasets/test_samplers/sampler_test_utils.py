# Copyright (c) mmlt contributors. All rights reserved.
"""A tiny long-tailed dataset and statistical checks for the sampler tests."""
import numpy as np

#: Images per class of the fake long-tailed dataset.
COUNTS = [400, 100, 20, 5]


class FakeLabelledDataset:
    """Images are their own index; labels shuffled so classes interleave."""

    def __init__(self, counts=COUNTS, num_classes=None, with_metainfo=True):
        labels = np.repeat(np.arange(len(counts)), counts)
        self.labels = np.random.default_rng(0).permutation(labels)
        if with_metainfo:
            num_classes = num_classes or len(counts)
            self.metainfo = dict(classes=[f'c{i}' for i in range(num_classes)])

    def get_gt_labels(self):
        return self.labels

    def __len__(self):
        return self.labels.size

    def __getitem__(self, idx):
        return dict(index=idx, gt_label=int(self.labels[idx]))


class CatIdsOnlyDataset:
    """A dataset with ``get_cat_ids`` only and no ``metainfo``."""

    def __init__(self, counts=COUNTS):
        self.labels = FakeLabelledDataset(counts).labels

    def get_cat_ids(self, idx):
        return [int(self.labels[idx])]

    def __len__(self):
        return self.labels.size


def assert_frequencies(values, probs):
    """Check the frequencies of ``values`` (ints in ``[0, len(probs))``)
    against ``probs``: within 4 standard errors where ``p > 0``, and never
    drawn where ``p == 0``."""
    values = np.asarray(values)
    probs = np.asarray(probs, dtype=np.float64)
    n = values.size
    freqs = np.bincount(values, minlength=probs.size) / n
    bound = 4 * np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(freqs - probs) <= bound), (freqs, probs, bound)
    assert np.all(freqs[probs == 0] == 0), (freqs, probs)


def assert_uniform(values, num_values):
    """Chi-square check that ``values`` are uniform over
    ``[0, num_values)``: the statistic has mean ``dof`` and standard
    deviation ``sqrt(2 * dof)``; allow 6 of them."""
    expected = len(values) / num_values
    observed = np.bincount(values, minlength=num_values)
    assert observed.size == num_values
    chi2 = ((observed - expected)**2 / expected).sum()
    dof = num_values - 1
    assert chi2 < dof + 6 * np.sqrt(2 * dof), (chi2, dof)


def plan_of(sampler, epoch=None):
    """The indices of ``sampler`` for ``epoch`` (its current one if None)."""
    if epoch is not None:
        sampler.set_epoch(epoch)
    return np.asarray(list(sampler), dtype=np.int64)
