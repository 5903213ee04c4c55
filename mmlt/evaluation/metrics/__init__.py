# Copyright (c) mmlt contributors. All rights reserved.
from .expert_usage_metric import ExpertUsageMetric
from .long_tail_metric import LongTailMetric

__all__ = ['LongTailMetric', 'ExpertUsageMetric']
