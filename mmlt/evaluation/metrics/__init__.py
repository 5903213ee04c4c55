# Copyright (c) mmlt contributors. All rights reserved.
from .long_tail_metric import LongTailMetric

__all__ = ['LongTailMetric']
