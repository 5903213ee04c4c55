# Copyright (c) mmlt contributors. All rights reserved.
from .adaptive_confidence_hook import AdaptiveConfidenceHook  # noqa: F401
from .adaptive_confidence_hook import update_confidence
from .class_counts_hook import ClassCountsHook  # noqa: F401
from .class_feature_stats_hook import ClassFeatureStatsHook  # noqa: F401
from .decoupled_stage_hook import DecoupledStageHook  # noqa: F401
from .deferred_reweighting_hook import DeferredReweightingHook  # noqa: F401
from .gradual_schedule_hook import GradualScheduleHook  # noqa: F401
from .meta_reweight_hook import MetaReweightHook  # noqa: F401
from .per_class_recall_hook import PerClassRecallHook  # noqa: F401
