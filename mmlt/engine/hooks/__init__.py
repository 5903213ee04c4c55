# Copyright (c) mmlt contributors. All rights reserved.
from .class_counts_hook import ClassCountsHook  # noqa: F401
from .per_class_recall_hook import PerClassRecallHook  # noqa: F401
from .decoupled_stage_hook import DecoupledStageHook  # noqa: F401
from .deferred_reweighting_hook import DeferredReweightingHook  # noqa: F401
