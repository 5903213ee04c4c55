# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch

from mmlt.evaluation.metrics.expert_usage_metric import ExpertUsageMetric


def test_average_and_fractions():
    metric = ExpertUsageMetric()
    metric.process(None, [{
        'num_experts': torch.tensor(n)
    } for n in (1, 1, 3, 2)])
    metric.process(None, [{'num_experts': torch.tensor(1)}])
    assert metric.compute_metrics(metric.results) == {
        'avg_experts': pytest.approx(8 / 5),
        'expert_1_fraction': pytest.approx(3 / 5),
        'expert_2_fraction': pytest.approx(1 / 5),
        'expert_3_fraction': pytest.approx(1 / 5),
    }
    with pytest.raises(KeyError, match='RIDEHead'):
        metric.process(None, [{'pred_label': torch.tensor([0])}])
