# Copyright (c) mmlt contributors. All rights reserved.
from .long_tail_dataset import LongTailDataset, select_long_tail_indices
from .long_tail_profiles import (counts_by_class, exp_profile,
                                 long_tail_counts, step_profile)
from .samplers import *  # noqa: F401,F403

__all__ = [
    'LongTailDataset', 'select_long_tail_indices', 'counts_by_class',
    'exp_profile', 'long_tail_counts', 'step_profile'
]
