# Copyright (c) mmlt contributors. All rights reserved.
from .base_class_sampler import BaseClassSampler
from .class_aware_sampler import ClassAwareSampler
from .class_power_sampler import ClassPowerSampler
from .class_sampling import (class_sampling_probabilities,
                             draw_class_balanced_plan, group_by_class,
                             progressive_probabilities)
from .progressively_balanced_sampler import ProgressivelyBalancedSampler

__all__ = [
    'BaseClassSampler', 'ClassAwareSampler', 'ClassPowerSampler',
    'ProgressivelyBalancedSampler', 'class_sampling_probabilities',
    'draw_class_balanced_plan', 'group_by_class', 'progressive_probabilities'
]
