# Copyright (c) mmlt contributors. All rights reserved.
"""The math of class re-sampling, as small pure functions.

A sampler of this package draws a *plan*: ``num_samples`` dataset indices,
each made by choosing a class ``c`` with probability ``p(c)`` and then an
image of that class uniformly at random. The functions below compute
``p(c)`` for the sampling schemes of Kang et al., "Decoupling Representation
and Classifier for Long-Tailed Recognition" (ICLR 2020), and draw a plan
from it without a Python loop over the samples.
"""
from typing import Sequence, Tuple

import numpy as np


def group_by_class(labels: Sequence[int], num_classes: int
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group dataset indices by class, for drawing images of a class.

    Args:
        labels (Sequence[int]): Label of every image, shape ``(N, )``, each
            in ``[0, num_classes)``.
        num_classes (int): The number of classes ``C``.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``(sorted_index,
        class_starts, counts)``: indices sorted by label, so that the images
        of class ``c`` are ``sorted_index[class_starts[c]:class_starts[c] +
        counts[c]]``, and the number of images per class, shape ``(C, )``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    # A stable sort keeps each class's images in dataset order.
    sorted_index = np.argsort(labels, kind='stable')
    counts = np.bincount(labels, minlength=num_classes)
    class_starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return sorted_index, class_starts, counts


def class_sampling_probabilities(counts: Sequence[int],
                                 q: float) -> np.ndarray:
    """Class probabilities ``p(c) ∝ n_c ** q`` of power sampling.

    ``q=1`` is instance-balanced (the class frequencies of drawing images
    uniformly), ``q=0.5`` square-root and ``q=0`` class-balanced sampling.
    Classes without images get probability 0 for every ``q``.

    Args:
        counts (Sequence[int]): Images per class ``n_c``, shape ``(C, )``.
        q (float): The power, at least 0.

    Returns:
        np.ndarray: ``p(c)``, shape ``(C, )``, summing to 1.
    """
    if not q >= 0:
        raise ValueError(f'q must be >= 0, got {q}.')
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any() or not (counts > 0).any():
        raise ValueError('counts must be non-negative with at least one '
                         f'class that has images, got {counts.tolist()}.')
    # Mask empty classes: numpy gives 0 ** 0 == 1.
    weights = np.where(counts > 0, counts**q, 0.)
    return weights / weights.sum()


def progressive_probabilities(counts: Sequence[int], epoch: int,
                              total_epochs: int) -> np.ndarray:
    """Class probabilities of progressively-balanced sampling.

    ``p(c; t) = (1 - t / T) * p_IB(c) + (t / T) * p_CB(c)``: instance-balanced
    at epoch ``t=0``, moving linearly to class-balanced at ``t=T``. ``t / T``
    is clamped to ``[0, 1]``, so epochs after ``T`` stay class-balanced.

    Args:
        counts (Sequence[int]): Images per class ``n_c``, shape ``(C, )``.
        epoch (int): The current epoch ``t``, counted from 0.
        total_epochs (int): The epoch ``T`` of full class balance, at least
            1.

    Returns:
        np.ndarray: ``p(c; t)``, shape ``(C, )``, summing to 1.
    """
    if not total_epochs >= 1:
        raise ValueError(f'total_epochs must be >= 1, got {total_epochs}.')
    alpha = min(max(epoch / total_epochs, 0.), 1.)
    return ((1. - alpha) * class_sampling_probabilities(counts, 1.) +
            alpha * class_sampling_probabilities(counts, 0.))


def draw_class_balanced_plan(sorted_index: np.ndarray,
                             class_starts: np.ndarray, counts: np.ndarray,
                             probs: np.ndarray, num_samples: int,
                             rng: np.random.Generator) -> np.ndarray:
    """Draw dataset indices: a class from ``probs``, then one of its images.

    Both steps use inverse transforms of ``rng.random`` draws, so the plan
    depends only on the generator's stream of uniform numbers.

    Args:
        sorted_index (np.ndarray): Dataset indices sorted by label, see
            :func:`group_by_class`.
        class_starts (np.ndarray): Position in ``sorted_index`` of the first
            image of each class, shape ``(C, )``.
        counts (np.ndarray): Images per class, shape ``(C, )``.
        probs (np.ndarray): Class probabilities, shape ``(C, )``; must be 0
            for classes without images.
        num_samples (int): The number of indices to draw.
        rng (np.random.Generator): The source of randomness.

    Returns:
        np.ndarray: ``num_samples`` dataset indices (int64), drawn with
        replacement.
    """
    counts = np.asarray(counts, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    if (probs.shape != counts.shape or not (probs >= 0).all()
            or not probs.sum() > 0):
        raise ValueError('probs must be non-negative, not all 0, with one '
                         f'entry per class ({counts.size}), got {probs}.')
    if (probs[counts == 0] > 0).any():
        raise ValueError('probs must be 0 for classes without images.')
    # Normalised so that cdf[-1] == 1 exactly: u in [0, 1) then always
    # lands on a class, and side='right' skips the zero-width steps of
    # zero-probability classes, even for u == 0.
    cdf = np.cumsum(probs)
    cdf /= cdf[-1]
    classes = np.searchsorted(cdf, rng.random(num_samples), side='right')
    # floor(u * n) < n for every double u < 1.
    offsets = np.floor(rng.random(num_samples) * counts[classes])
    starts = np.asarray(class_starts)[classes]
    return np.asarray(sorted_index)[starts + offsets.astype(np.int64)]
