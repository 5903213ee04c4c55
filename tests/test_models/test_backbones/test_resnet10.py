# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.registry import MODELS

import mmlt  # noqa: F401
from mmlt.models.backbones import ResNet10


def test_one_basic_block_per_stage():
    model = MODELS.build(dict(type='ResNet10', out_indices=(0, 1, 2, 3)))
    assert type(model) is ResNet10
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 4
    outs = model(torch.rand(2, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 16, 16), (2, 128, 8, 8),
                                              (2, 256, 4, 4), (2, 512, 2, 2)]
    # The stem and stages of ResNet-18 with half its blocks: 4.9M weights.
    assert sum(p.numel() for p in model.parameters()) == 4905792


def test_only_depth_10():
    with pytest.raises(KeyError, match='invalid depth 18'):
        ResNet10(depth=18)
