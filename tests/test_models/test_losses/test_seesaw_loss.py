# Copyright (c) mmlt contributors. All rights reserved.
"""mmpretrain's SeesawLoss must stay usable from mmlt configs."""
import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401  registers mmlt's modules next to mmpretrain's


def test_seesaw_builds_and_runs_in_linear_head():
    num_classes = 5
    loss_fn = MODELS.build(dict(type='SeesawLoss', num_classes=num_classes))
    assert type(loss_fn).__module__.startswith('mmpretrain')

    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=8,
            loss=dict(type='SeesawLoss', num_classes=num_classes)))
    assert isinstance(head, LinearClsHead)
    feats = (torch.randn(6, 8), )
    labels = [0, 1, 2, 3, 4, 0]
    samples = [DataSample().set_gt_label(label) for label in labels]
    losses = head.loss(feats, samples)
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert head.fc.weight.grad is not None
    # Seesaw accumulates the seen samples per class.
    assert head.loss_module.cum_samples.tolist() == [2, 1, 1, 1, 1]
