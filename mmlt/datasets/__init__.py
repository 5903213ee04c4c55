# Copyright (c) mmlt contributors. All rights reserved.
from .imagenet_lt import ImageNetLT
from .inaturalist import INaturalist
from .label_list_dataset import LabelListDataset
from .long_tail_dataset import LongTailDataset, select_long_tail_indices
from .long_tail_profiles import (counts_by_class, exp_profile,
                                 long_tail_counts, step_profile)
from .places_lt import PlacesLT
from .samplers import *  # noqa: F401,F403
from .tiny_imagenet import TinyImageNet

__all__ = [
    'LongTailDataset', 'select_long_tail_indices', 'counts_by_class',
    'exp_profile', 'long_tail_counts', 'step_profile', 'LabelListDataset',
    'ImageNetLT', 'PlacesLT', 'INaturalist', 'TinyImageNet'
]
