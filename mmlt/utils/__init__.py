# Copyright (c) mmlt contributors. All rights reserved.
from .checkpoint import allow_mmengine_checkpoints
from .class_counts import ClassCountsMixin, as_class_counts, count_classes
from .dist import setup_cpu_distributed, shutdown_distributed, slurm_env
from .rank_random import current_rank, rank_generator, rank_seed

__all__ = [
    'ClassCountsMixin', 'as_class_counts', 'count_classes',
    'allow_mmengine_checkpoints', 'setup_cpu_distributed',
    'shutdown_distributed', 'slurm_env', 'current_rank', 'rank_generator',
    'rank_seed'
]
