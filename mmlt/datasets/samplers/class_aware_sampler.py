# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
from mmpretrain.registry import DATA_SAMPLERS

from .base_class_sampler import BaseClassSampler
from .class_sampling import class_sampling_probabilities


@DATA_SAMPLERS.register_module()
class ClassAwareSampler(BaseClassSampler):
    """Class-balanced sampling: a uniform class, then a uniform image of it.

    Every class with images is drawn with probability ``1 / C``, as in the
    classifier re-training (cRT) stage of Kang et al., "Decoupling
    Representation and Classifier for Long-Tailed Recognition" (ICLR 2020).
    Draws are independent and with replacement.

    Args:
        dataset (Sized): The dataset, with ``get_gt_labels()`` or
            ``get_cat_ids(idx)``.
        seed (int, optional): Random seed, identical on all ranks. Defaults
            to None (a seed synchronized across ranks).
        num_samples (int, optional): Indices per epoch over all ranks.
            Defaults to None (``len(dataset)``).
        round_up (bool): Whether to pad the plan to a multiple of the world
            size. Defaults to True.
    """

    def class_probabilities(self) -> np.ndarray:
        """Class probabilities: uniform over classes with images."""
        return class_sampling_probabilities(self.class_counts, 0.)
