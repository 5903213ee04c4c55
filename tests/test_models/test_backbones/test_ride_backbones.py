# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE's multi-expert backbones: a shared early part named as the single
model's, independent per-expert later stages."""
import pytest
import torch
from mmpretrain.models.backbones import ResNet

from mmlt.models.backbones import CifarResNet, RIDECifarResNet, RIDEResNet


def test_cifar_shared_part_and_experts():
    torch.manual_seed(0)
    model = RIDECifarResNet(8, num_experts=3, in_channels=1).eval()
    outs = model(torch.randn(2, 1, 28, 28))
    assert [o.shape for o in outs] == [(2, 48, 7, 7)] * 3
    # The experts are separate modules with different outputs.
    assert not torch.allclose(outs[0], outs[1])
    # The shared part has CifarResNet's names and shapes.
    single = CifarResNet(8, in_channels=1).state_dict()
    shared = {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('experts.')
    }
    assert shared.keys() <= single.keys()
    assert all(single[k].shape == v.shape for k, v in shared.items())
    # A gradient of one expert's output reaches only that expert (and the
    # shared part).
    model.train()
    outs = model(torch.randn(2, 1, 28, 28))
    outs[1].sum().backward()
    assert model.layer1[0].conv1.weight.grad is not None
    assert model.experts[0][0][0].conv1.weight.grad is None
    assert model.experts[1][0][0].conv1.weight.grad is not None
    with pytest.raises(ValueError, match='depth'):
        RIDECifarResNet(10)
    with pytest.raises(ValueError, match='expert_channels'):
        RIDECifarResNet(8, expert_channels=(8, 16))


def test_resnet_shared_part_loads_imagenet_names():
    model = RIDEResNet(50, num_experts=2)
    model.eval()  # mmpretrain's ResNet.train returns None
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape for o in outs] == [(1, 1536, 2, 2)] * 2
    single = ResNet(50).state_dict()
    shared = {
        k: v
        for k, v in model.state_dict().items() if not k.startswith('experts.')
    }
    assert shared and shared.keys() <= single.keys()
    assert all(single[k].shape == v.shape for k, v in shared.items())
    assert not any(k.startswith(('layer3', 'layer4')) for k in shared)
    with pytest.raises(ValueError, match='num_stages'):
        RIDEResNet(50, num_stages=4)
