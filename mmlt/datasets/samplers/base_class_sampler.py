# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Iterator, Optional, Sized, Tuple

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from .class_sampling import draw_class_balanced_plan, group_by_class


class BaseClassSampler(Sampler):
    """Base of samplers that re-sample a dataset by class, with replacement.

    Every epoch draws one plan of ``num_samples`` indices from a generator
    seeded with ``(seed, epoch)``, so all ranks draw the same plan; each
    rank yields its disjoint shard ``plan[rank::world_size]``, like
    :class:`mmengine.dataset.DefaultSampler`. A subclass only defines the
    class probabilities :meth:`class_probabilities`.

    :meth:`set_epoch` (called by ``DistSamplerSeedHook``) selects the plan,
    so a run resumed at an epoch boundary continues the same sequence as an
    uninterrupted one.

    Args:
        dataset (Sized): The dataset, with ``get_gt_labels()`` or
            ``get_cat_ids(idx)``.
        seed (int, optional): Random seed, identical on all ranks. Defaults
            to None (a seed synchronized across ranks).
        num_samples (int, optional): Indices per epoch over all ranks.
            Defaults to None (``len(dataset)``).
        round_up (bool): Whether to repeat the start of the plan to make its
            length divisible by the world size, so every rank yields the
            same number of indices. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 seed: Optional[int] = None,
                 num_samples: Optional[int] = None,
                 round_up: bool = True) -> None:
        name = type(self).__name__
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        if seed is None:
            seed = sync_random_seed()
        if not (isinstance(seed, (int, np.integer)) and seed >= 0):
            # numpy's SeedSequence accepts only non-negative integers.
            raise ValueError(
                f'{name}: seed must be a non-negative int, got {seed!r}.')
        self.seed = int(seed)
        self.epoch = 0
        self.round_up = round_up

        labels, num_classes = _read_labels(dataset, name)
        self.sorted_index, self.class_starts, self.class_counts = \
            group_by_class(labels, num_classes)

        if num_samples is None:
            num_samples = len(labels)
        if not num_samples >= 1:
            raise ValueError(
                f'{name}: num_samples must be >= 1, got {num_samples}.')
        self.num_samples = int(num_samples)
        if round_up:
            self.total_size = math.ceil(
                self.num_samples / self.world_size) * self.world_size
        else:
            self.total_size = self.num_samples

    def class_probabilities(self) -> np.ndarray:
        """Class probabilities ``p(c)`` of the current epoch.

        Returns:
            np.ndarray: ``p(c)``, shape ``(C, )``, 0 for empty classes.
        """
        raise NotImplementedError

    def __iter__(self) -> Iterator[int]:
        """Iterate the indices of this rank for the current epoch."""
        rng = np.random.Generator(np.random.PCG64([self.seed, self.epoch]))
        plan = draw_class_balanced_plan(self.sorted_index, self.class_starts,
                                        self.class_counts,
                                        self.class_probabilities(),
                                        self.num_samples, rng)
        # Repeat the plan cyclically to the padded length.
        plan = np.resize(plan, self.total_size)
        return iter(plan[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        """The number of indices in this rank."""
        return len(range(self.rank, self.total_size, self.world_size))

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which selects the plan.

        Args:
            epoch (int): Epoch number, counted from 0.
        """
        self.epoch = epoch


def _read_labels(dataset, name: str) -> Tuple[np.ndarray, int]:
    """Labels of every image and the number of classes of ``dataset``."""
    if hasattr(dataset, 'get_gt_labels'):
        try:
            labels = dataset.get_gt_labels()
        except KeyError as e:
            raise ValueError(f'{name}: the dataset has no labels ({e!r} '
                             'missing); it needs one label per image.') from e
    elif hasattr(dataset, 'get_cat_ids'):
        labels = [dataset.get_cat_ids(i)[0] for i in range(len(dataset))]
    else:
        raise TypeError(f'{name}: the dataset must provide get_gt_labels() or '
                        f'get_cat_ids(idx), got {type(dataset).__name__}.')
    labels = np.asarray(labels)
    if labels.size == 0:
        raise ValueError(f'{name}: the dataset has no labelled images.')
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f'{name}: needs one integer label per image, got '
                         f'labels of shape {labels.shape} and dtype '
                         f'{labels.dtype}.')
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    num_classes = len(classes) if classes is not None else labels.max() + 1
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f'{name}: labels must be in [0, {num_classes}), got '
                         f'[{labels.min()}, {labels.max()}].')
    return labels.astype(np.int64), int(num_classes)
