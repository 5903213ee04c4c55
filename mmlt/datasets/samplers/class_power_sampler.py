# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sized

import numpy as np
from mmpretrain.registry import DATA_SAMPLERS

from .base_class_sampler import BaseClassSampler
from .class_sampling import class_sampling_probabilities


@DATA_SAMPLERS.register_module()
class ClassPowerSampler(BaseClassSampler):
    """Sample class ``c`` with probability ``∝ n_c ** q``, then an image.

    ``q=1`` is instance-balanced (the class frequencies of drawing images
    uniformly with replacement), ``q=0.5`` square-root and ``q=0``
    class-balanced sampling (Kang et al., ICLR 2020).

    Args:
        dataset (Sized): The dataset, with ``get_gt_labels()`` or
            ``get_cat_ids(idx)``.
        q (float): The power, at least 0. Defaults to 0.5.
        seed (int, optional): Random seed, identical on all ranks. Defaults
            to None (a seed synchronized across ranks).
        num_samples (int, optional): Indices per epoch over all ranks.
            Defaults to None (``len(dataset)``).
        round_up (bool): Whether to pad the plan to a multiple of the world
            size. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 q: float = 0.5,
                 seed: Optional[int] = None,
                 num_samples: Optional[int] = None,
                 round_up: bool = True) -> None:
        # Check before reading the labels, which may be slow.
        if not q >= 0:
            raise ValueError(f'ClassPowerSampler: q must be >= 0, got {q}.')
        self.q = float(q)
        super().__init__(dataset, seed, num_samples, round_up)
        # Fixed for the whole run, so computed once.
        self._probs = class_sampling_probabilities(self.class_counts, self.q)

    def class_probabilities(self) -> np.ndarray:
        """Class probabilities ``n_c ** q / sum_k n_k ** q``."""
        return self._probs
