# Copyright (c) mmlt contributors. All rights reserved.
"""Pure functions behind :class:`mmlt.evaluation.LongTailMetric`.

They work on numpy arrays, with no state, so they can be checked by hand and
reused by analysis tools.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

#: Names of the class groups, from head to tail (``rare`` only with a
#: ``rare_thr``).
GROUP_NAMES = ('many', 'medium', 'few', 'rare')


def per_class_recall(pred: Sequence[int], target: Sequence[int],
                     num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Top-1 recall and number of test samples of every class.

    A class without any test sample has an undefined recall, returned as
    ``NaN`` rather than 0 so that it is not mistaken for a class the model
    always misses; callers leave such classes out of their averages.

    Args:
        pred (Sequence[int]): Predicted label of each sample, shape ``(N, )``.
        target (Sequence[int]): Ground-truth label of each sample, shape
            ``(N, )``.
        num_classes (int): The number of classes ``C``.

    Returns:
        tuple[np.ndarray, np.ndarray]: The recall of each class in ``[0, 1]``
        (``NaN`` where the support is 0), shape ``(C, )``, float64; and the
        support (test samples) of each class, shape ``(C, )``, int64.
    """
    pred = np.asarray(pred, dtype=np.int64).reshape(-1)
    target = np.asarray(target, dtype=np.int64).reshape(-1)
    if pred.shape != target.shape:
        raise ValueError(f'pred has {pred.size} labels but target has '
                         f'{target.size}.')
    for name, labels in (('pred', pred), ('target', target)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f'{name} labels must lie in [0, {num_classes}), got range '
                f'[{labels.min()}, {labels.max()}].')
    support = np.bincount(target, minlength=num_classes)
    correct = np.bincount(target[pred == target], minlength=num_classes)
    recall = np.full(num_classes, np.nan)
    np.divide(correct, support, out=recall, where=support > 0)
    return recall, support.astype(np.int64)


def shot_groups(class_counts: Sequence[int],
                many_thr: int = 100,
                few_thr: int = 20,
                rare_thr: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Split classes by their number of training images.

    The standard many/medium/few-shot split of long-tailed recognition
    (Liu et al., "Large-Scale Long-Tailed Recognition in an Open World",
    CVPR 2019): Many > 100, 20 <= Medium <= 100, Few < 20 training images.
    With ``rare_thr`` a fourth group, Rare (< ``rare_thr`` images), is split
    off the tail, and Few spans ``rare_thr`` .. ``few_thr - 1``, as in the
    four groups (Many / Medium / Few / Rare) of category-wise GHM (Zhang et
    al., ICASSP 2022).

    Args:
        class_counts (Sequence[int]): Training images of each class.
        many_thr (int): A class with more than ``many_thr`` images is
            many-shot. Defaults to 100.
        few_thr (int): A class with fewer than ``few_thr`` images is
            few-shot (or rare). Defaults to 20.
        rare_thr (int, optional): A class with fewer than ``rare_thr``
            images is rare; ``1 <= rare_thr < few_thr``. Defaults to None
            (three groups).

    Returns:
        dict[str, np.ndarray]: Boolean masks of shape ``(C, )`` under the keys
        ``'many'``, ``'medium'``, ``'few'`` (and ``'rare'``); every class is
        in exactly one.
    """
    check_group_thresholds(many_thr, few_thr, rare_thr)
    counts = np.asarray(class_counts).reshape(-1)
    many = counts > many_thr
    few = counts < few_thr
    groups = dict(many=many, medium=~(many | few), few=few)
    if rare_thr is not None:
        groups['rare'] = counts < rare_thr
        groups['few'] = few & ~groups['rare']
    return groups


def check_group_thresholds(many_thr: int,
                           few_thr: int,
                           rare_thr: Optional[int] = None) -> None:
    """Raise a clear error unless ``rare_thr < few_thr <= many_thr``.

    Args:
        many_thr (int): The many-shot threshold.
        few_thr (int): The few-shot threshold.
        rare_thr (int, optional): The rare threshold. Defaults to None.
    """
    if few_thr > many_thr:
        raise ValueError(f'few_thr ({few_thr}) must not exceed many_thr '
                         f'({many_thr}).')
    if rare_thr is None:
        return
    if (isinstance(rare_thr, bool)
            or not isinstance(rare_thr, (int, np.integer)) or rare_thr < 1):
        raise ValueError(f'rare_thr must be a positive integer (classes '
                         f'with fewer training images are rare), got '
                         f'{rare_thr!r}.')
    if rare_thr >= few_thr:
        raise ValueError(
            f'rare_thr ({rare_thr}) must be below few_thr ({few_thr}): few '
            f'spans rare_thr .. few_thr - 1 training images and would be '
            f'empty. Lower rare_thr or raise few_thr.')


def index_groups(num_classes: int,
                 boundaries: Sequence[int]) -> Dict[str, np.ndarray]:
    """Split classes into three contiguous ranges of class index.

    Some papers (e.g. MiSLAS) report CIFAR-LT groups by class index, since
    the classes are sorted by decreasing training count: boundaries
    ``(36, 71)`` on CIFAR-100 give ``[0, 36)``, ``[36, 71)`` and
    ``[71, 100)``.

    Args:
        num_classes (int): The number of classes ``C``.
        boundaries (Sequence[int]): The first index of the medium and of the
            few group, ``0 <= b1 <= b2 <= C``.

    Returns:
        dict[str, np.ndarray]: Boolean masks of shape ``(C, )`` under the keys
        ``'many'``, ``'medium'`` and ``'few'``.
    """
    if len(boundaries) != 2:
        raise ValueError(f'index boundaries must be two class indices '
                         f'(start of medium, start of few), got '
                         f'{list(boundaries)}.')
    start_medium, start_few = (int(b) for b in boundaries)
    if not 0 <= start_medium <= start_few <= num_classes:
        raise ValueError(
            f'index boundaries must satisfy 0 <= b1 <= b2 <= num_classes '
            f'({num_classes}), got {list(boundaries)}.')
    index = np.arange(num_classes)
    return dict(
        many=index < start_medium,
        medium=(index >= start_medium) & (index < start_few),
        few=index >= start_few)


def _substitute_zeros(values: Sequence[float],
                      eps: float) -> Tuple[np.ndarray, int]:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError('Cannot average an empty set of recalls.')
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f'Recalls must be finite and non-negative, got '
                         f'{values.tolist()}; drop classes without test '
                         f'samples (NaN recall) first.')
    zero = values == 0
    return np.where(zero, eps, values), int(zero.sum())


def geometric_mean(values: Sequence[float],
                   eps: float = 1e-3) -> Tuple[float, int]:
    """Geometric mean of recalls, with zeros replaced by ``eps``.

    A single zero recall would make the geometric mean 0 whatever the other
    classes do, so zeros are substituted with a small number (1e-3), as in
    "No One Left Behind: Improving the Worst Categories in Long-Tailed
    Learning" (CVPR 2023).

    Args:
        values (Sequence[float]): Recalls in ``[0, 1]``.
        eps (float): The value substituted for a zero. Defaults to 1e-3.

    Returns:
        tuple[float, int]: The geometric mean and the number of zeros
        substituted.
    """
    values, num_zero = _substitute_zeros(values, eps)
    # Mean of logs, not the product: a product of 1000 recalls underflows.
    return float(np.exp(np.log(values).mean())), num_zero


def harmonic_mean(values: Sequence[float],
                  eps: float = 1e-3) -> Tuple[float, int]:
    """Harmonic mean of recalls, with zeros replaced by ``eps``.

    See :func:`geometric_mean` for why zeros are substituted.

    Args:
        values (Sequence[float]): Recalls in ``[0, 1]``.
        eps (float): The value substituted for a zero. Defaults to 1e-3.

    Returns:
        tuple[float, int]: The harmonic mean and the number of zeros
        substituted.
    """
    values, num_zero = _substitute_zeros(values, eps)
    return float(values.size / np.sum(1.0 / values)), num_zero
