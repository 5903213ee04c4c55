# Copyright (c) mmlt contributors. All rights reserved.
"""Per-class image counts of the standard long-tailed profiles."""
import math
from typing import List, Optional, Sequence

PROFILES = ('exp', 'step')


def exp_profile(num_classes: int, max_count: int,
                imbalance_factor: float) -> List[int]:
    """Exponential profile of Cui et al. / Cao et al. (CIFAR-LT).

    The class of rank ``i`` keeps ``floor(n_max * IF ** (-i / (C - 1)))``
    images, so the head keeps ``n_max`` and the tail ``n_max / IF``.

    Args:
        num_classes (int): Number of classes ``C``.
        max_count (int): Images of the head class ``n_max``.
        imbalance_factor (float): ``IF = n_max / n_min``, at least 1.

    Returns:
        list[int]: Counts by rank, largest first.
    """
    _check_profile_args(num_classes, max_count, imbalance_factor)
    if num_classes == 1:
        return [int(max_count)]
    return [
        int(
            math.floor(max_count * imbalance_factor**(-i / (num_classes - 1))))
        for i in range(num_classes)
    ]


def step_profile(num_classes: int,
                 max_count: int,
                 imbalance_factor: float,
                 head_ratio: float = 0.5) -> List[int]:
    """Step profile of Buda et al. / Cao et al.

    The first ``round(C * head_ratio)`` ranks keep ``n_max`` images and the
    others ``floor(n_max / IF)``.

    Args:
        num_classes (int): Number of classes ``C``.
        max_count (int): Images of a head class ``n_max``.
        imbalance_factor (float): ``IF = n_max / n_min``, at least 1.
        head_ratio (float): Fraction of classes in the head. Defaults to 0.5.

    Returns:
        list[int]: Counts by rank, largest first.
    """
    _check_profile_args(num_classes, max_count, imbalance_factor)
    if not 0 < head_ratio <= 1:
        raise ValueError(f'head_ratio must lie in (0, 1], got {head_ratio}.')
    num_head = int(round(num_classes * head_ratio))
    tail_count = int(math.floor(max_count / imbalance_factor))
    return [max_count] * num_head + [tail_count] * (num_classes - num_head)


def long_tail_counts(profile: str,
                     num_classes: int,
                     max_count: int,
                     imbalance_factor: float,
                     head_ratio: float = 0.5) -> List[int]:
    """Counts by rank for a named profile (``'exp'`` or ``'step'``).

    Args:
        profile (str): ``'exp'`` or ``'step'``.
        num_classes (int): Number of classes.
        max_count (int): Images of the head class.
        imbalance_factor (float): ``n_max / n_min``.
        head_ratio (float): Head fraction of the step profile. Defaults to
            0.5.

    Returns:
        list[int]: Counts by rank, largest first.
    """
    if profile == 'exp':
        return exp_profile(num_classes, max_count, imbalance_factor)
    if profile == 'step':
        return step_profile(num_classes, max_count, imbalance_factor,
                            head_ratio)
    raise ValueError(f'Unknown long-tail profile {profile!r}; choose one of '
                     f'{PROFILES} or give explicit `counts=[...]`.')


def counts_by_class(counts_by_rank: Sequence[int],
                    class_order: Optional[Sequence[int]] = None) -> List[int]:
    """Map counts by rank to counts by class index.

    Args:
        counts_by_rank (Sequence[int]): Counts, largest first.
        class_order (Sequence[int], optional): ``class_order[r]`` is the
            class of rank ``r`` (``class_order[0]`` is the head). Defaults to
            None (class ``i`` has rank ``i``).

    Returns:
        list[int]: ``counts[c]`` for each class index ``c``.
    """
    num_classes = len(counts_by_rank)
    if class_order is None:
        return list(counts_by_rank)
    order = [int(c) for c in class_order]
    if sorted(order) != list(range(num_classes)):
        raise ValueError(
            f'class_order must be a permutation of 0..{num_classes - 1}, got '
            f'{list(class_order)}.')
    counts = [0] * num_classes
    for rank, cls in enumerate(order):
        counts[cls] = counts_by_rank[rank]
    return counts


def _check_profile_args(num_classes, max_count, imbalance_factor):
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}.')
    if max_count < 1:
        raise ValueError(f'max_count must be >= 1, got {max_count}.')
    if not imbalance_factor >= 1:
        raise ValueError(f'imbalance_factor must be >= 1 (n_max / n_min), got '
                         f'{imbalance_factor}; use 1 for a balanced subset.')
