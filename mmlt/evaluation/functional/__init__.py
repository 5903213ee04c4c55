# Copyright (c) mmlt contributors. All rights reserved.
from .long_tail import (GROUP_NAMES, geometric_mean, harmonic_mean,
                        index_groups, per_class_recall, shot_groups)

__all__ = [
    'GROUP_NAMES', 'per_class_recall', 'shot_groups', 'index_groups',
    'geometric_mean', 'harmonic_mean'
]
