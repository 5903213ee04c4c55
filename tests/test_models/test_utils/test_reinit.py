# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.models.utils import reinit_module


def test_reinit_linear_cls_head_by_its_init_cfg():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='LinearClsHead', num_classes=100, in_channels=64))
    head.init_weights()
    with torch.no_grad():
        head.fc.weight.fill_(3.)
        head.fc.bias.fill_(1.)
    # mmengine runs init_weights once: a second call keeps the weights.
    head.init_weights()
    assert head.fc.bias.eq(1.).all()

    reinit_module(head)
    # LinearClsHead's init_cfg: Normal(std=0.01), bias 0.
    assert head.fc.bias.eq(0.).all()
    assert head.fc.weight.std().item() == pytest.approx(0.01, rel=0.1)
    assert head.is_init


def test_reinit_plain_module_and_lws_scales():
    linear = nn.Linear(4, 2)
    with torch.no_grad():
        linear.weight.fill_(5.)
    reinit_module(linear)
    assert linear.weight.abs().max() < 1.

    lws = MODELS.build(dict(type='LWSHead', num_classes=3, in_channels=2))
    lws.init_weights()
    with torch.no_grad():
        lws.scales.fill_(7.)
    reinit_module(lws)
    assert lws.scales.tolist() == [1., 1., 1.]
    # The frozen classifier stays frozen.
    assert not lws.fc.weight.requires_grad
