# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sized

import numpy as np
from mmpretrain.registry import DATA_SAMPLERS

from .base_class_sampler import BaseClassSampler
from .class_sampling import progressive_probabilities


@DATA_SAMPLERS.register_module()
class ProgressivelyBalancedSampler(BaseClassSampler):
    """Move from instance- to class-balanced sampling over the epochs.

    At epoch ``t``, class ``c`` is drawn with probability
    ``(1 - t / T) * p_IB(c) + (t / T) * p_CB(c)``, ``T = total_epochs``
    (progressively-balanced sampling of Kang et al., ICLR 2020). The epoch
    comes from :meth:`set_epoch`, which ``DistSamplerSeedHook`` calls before
    every training epoch; epochs count from 0, so with ``T`` set to the
    number of training epochs the last one is not yet fully balanced.

    Args:
        dataset (Sized): The dataset, with ``get_gt_labels()`` or
            ``get_cat_ids(idx)``.
        total_epochs (int): The epoch ``T`` of full class balance, at least
            1; later epochs stay class-balanced.
        seed (int, optional): Random seed, identical on all ranks. Defaults
            to None (a seed synchronized across ranks).
        num_samples (int, optional): Indices per epoch over all ranks.
            Defaults to None (``len(dataset)``).
        round_up (bool): Whether to pad the plan to a multiple of the world
            size. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 total_epochs: int,
                 seed: Optional[int] = None,
                 num_samples: Optional[int] = None,
                 round_up: bool = True) -> None:
        # Check before reading the labels, which may be slow.
        if not total_epochs >= 1:
            raise ValueError('ProgressivelyBalancedSampler: total_epochs '
                             f'must be >= 1, got {total_epochs}.')
        self.total_epochs = total_epochs
        super().__init__(dataset, seed, num_samples, round_up)

    def class_probabilities(self) -> np.ndarray:
        """Class probabilities of the current epoch."""
        return progressive_probabilities(self.class_counts, self.epoch,
                                         self.total_epochs)
