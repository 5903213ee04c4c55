# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook  # noqa: F401
from .per_class_recall_hook import PerClassRecallHook  # noqa: F401
