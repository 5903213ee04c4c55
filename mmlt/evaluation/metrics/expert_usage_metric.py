# Copyright (c) mmlt contributors. All rights reserved.
"""How many experts a routed multi-expert model uses per sample."""
from typing import Dict, List, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


@METRICS.register_module()
class ExpertUsageMetric(BaseMetric):
    """The average number of experts per sample (RIDE's router).

    Reads the ``num_experts`` field that
    :class:`~mmlt.models.heads.RIDEHead` sets on every predicted sample and
    reports ``avg_experts`` (the mean over the evaluated samples) and
    ``expert_{k}_fraction``: the share of samples that used exactly ``k``
    experts.

    Args:
        collect_device (str): Device for collecting results across ranks.
            Defaults to ``'cpu'``.
        prefix (str): Prefix of the metric names. Defaults to
            ``'experts'``.
    """
    default_prefix = 'experts'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'num_experts' not in sample:
                raise KeyError(
                    'ExpertUsageMetric: the predictions have no '
                    '`num_experts`; it needs a model whose head is RIDEHead.')
            self.results.append(int(sample['num_experts']))

    def compute_metrics(self, results: List[int]) -> Dict[str, float]:
        counts = np.asarray(results, dtype=np.int64)
        metrics = {'avg_experts': float(counts.mean())}
        for k in range(1, int(counts.max()) + 1):
            metrics[f'expert_{k}_fraction'] = float((counts == k).mean())
        return metrics
