# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import mmlt.models.backbones  # noqa: F401  (registers CifarResNet)
from mmlt.models.backbones import CifarResNet
from mmlt.models.backbones.cifar_resnet import OptionAShortcut


def expected_num_params(depth, in_channels=3, num_classes=None):
    """Parameter count of He et al.'s CIFAR ResNet, from the architecture.

    3x3 convs without bias, 2 affine parameters per BN channel, option-A
    (parameter-free) shortcuts, optional linear head on the 64-d feature.
    """
    n = (depth - 2) // 6
    conv = lambda cin, cout: 9 * cin * cout  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    total = conv(in_channels, 16) + bn(16)  # stem
    cin = 16
    for c in (16, 32, 64):
        for _ in range(n):
            total += conv(cin, c) + bn(c) + conv(c, c) + bn(c)
            cin = c
    if num_classes is not None:
        total += 64 * num_classes + num_classes
    return total


def count(module):
    return sum(p.numel() for p in module.parameters())


def build_classifier(depth, in_channels=3, num_classes=10):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='CifarResNet', depth=depth, in_channels=in_channels),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=64,
                loss=dict(type='CrossEntropyLoss'))))


@pytest.mark.parametrize('depth', [8, 20, 32])
@pytest.mark.parametrize('in_channels,size', [(3, 32), (1, 28)])
def test_output_shapes(depth, in_channels, size):
    model = CifarResNet(
        depth=depth, in_channels=in_channels, out_indices=(0, 1, 2))
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(2, in_channels, size, size))
    assert isinstance(outs, tuple)
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, size, size),
        (2, 32, size // 2, size // 2),
        (2, 64, size // 4, size // 4),
    ]
    # 6n + 2 weighted layers: stem conv, 3 stages x n blocks x 2 convs and
    # the classifier (not part of the backbone).
    n_convs = sum(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    assert n_convs + 1 == depth


def test_default_and_negative_out_indices():
    x = torch.randn(1, 3, 32, 32)
    model = CifarResNet(depth=8).eval()
    outs = model(x)
    assert len(outs) == 1 and outs[0].shape == (1, 64, 8, 8)
    model = CifarResNet(depth=8, out_indices=(-2, -1)).eval()
    outs = model(x)
    assert [o.shape[1] for o in outs] == [32, 64]
    with pytest.raises(ValueError, match='out_indices'):
        CifarResNet(depth=8, out_indices=(3, ))


def test_num_params():
    resnet32 = build_classifier(32, num_classes=10)
    expected32 = expected_num_params(32, num_classes=10)
    assert count(resnet32) == expected32
    assert round(count(resnet32) / 1e6, 2) == 0.46

    resnet20 = build_classifier(20, num_classes=10)
    expected20 = expected_num_params(20, num_classes=10)
    assert count(resnet20) == expected20
    assert round(count(resnet20) / 1e6, 2) == 0.27

    # Backbone alone, grayscale input: only the stem conv changes.
    backbone = CifarResNet(depth=32, in_channels=1)
    assert count(backbone) == expected_num_params(32, in_channels=1)


def test_option_a_shortcut():
    shortcut = OptionAShortcut(16, 32, stride=2)
    assert count(shortcut) == 0 and len(list(shortcut.buffers())) == 0
    x = torch.randn(2, 16, 8, 8)
    expected = torch.zeros(2, 32, 4, 4)
    for c in range(16):
        for i in range(4):
            for j in range(4):
                expected[:, 8 + c, i, j] = x[:, c, 2 * i, 2 * j]
    assert torch.equal(shortcut(x), expected)

    # Odd spatial size keeps ceil(H / 2), like a stride-2 3x3 conv, pad 1.
    assert shortcut(torch.randn(1, 16, 7, 7)).shape == (1, 32, 4, 4)

    # Inside the network the shortcuts add no parameters (checked in
    # test_num_params) and are used exactly where the shape changes.
    model = CifarResNet(depth=20)
    shortcuts = [m for m in model.modules() if isinstance(m, OptionAShortcut)]
    assert [(s.in_channels, s.out_channels, s.stride)
            for s in shortcuts] == [(16, 32, 2), (32, 64, 2)]


@pytest.mark.parametrize('depth', [2, 0, 7, 10, 21, 33, -4, 32.0, '32'])
def test_invalid_depth(depth):
    with pytest.raises(ValueError, match=r'depth.*6n\+2.*32'):
        CifarResNet(depth=depth)


def test_valid_depths():
    for depth in (8, 14, 26):
        CifarResNet(depth=depth)


@pytest.mark.parametrize('frozen_stages', [0, 1, 2])
def test_frozen_stages(frozen_stages):
    torch.manual_seed(0)
    model = CifarResNet(depth=8, frozen_stages=frozen_stages)
    model.init_weights()
    model.train()
    frozen = [model.conv1, model.norm1]
    frozen += [getattr(model, f'layer{i + 1}') for i in range(frozen_stages)]
    trainable = [
        getattr(model, f'layer{i + 1}') for i in range(frozen_stages, 3)
    ]

    for module in frozen:
        for p in module.parameters():
            assert not p.requires_grad
        for m in module.modules():
            if isinstance(m, _BatchNorm):
                assert not m.training
    for module in trainable:
        for p in module.parameters():
            assert p.requires_grad
        for m in module.modules():
            if isinstance(m, _BatchNorm):
                assert m.training

    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    # Shift the input statistics so that BN running stats move if updated.
    x = torch.randn(4, 3, 32, 32) * 3 + 1
    model(x)[0].pow(2).mean().backward()
    optim.step()

    after = model.state_dict()
    frozen_keys = ['conv1.', 'norm1.'
                   ] + [f'layer{i + 1}.' for i in range(frozen_stages)]
    for key, value in after.items():
        if any(key.startswith(prefix) for prefix in frozen_keys):
            assert torch.equal(value, before[key]), key
    # The trainable part did change (weights and BN statistics).
    last = f'layer{frozen_stages + 1}.0'
    assert not torch.equal(after[f'{last}.conv1.weight'],
                           before[f'{last}.conv1.weight'])
    assert not torch.equal(after[f'{last}.norm1.running_mean'],
                           before[f'{last}.norm1.running_mean'])


def test_norm_eval():
    model = CifarResNet(depth=8, norm_eval=True)
    model.train()
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    assert model.layer3.training


def test_init_weights():
    torch.manual_seed(0)
    model = CifarResNet(depth=20)
    model.init_weights()
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            assert torch.equal(m.weight, torch.ones_like(m.weight))
            assert torch.equal(m.bias, torch.zeros_like(m.bias))
    # He (Kaiming normal, fan_out) init: std = sqrt(2 / (9 * C_out)).
    w = model.layer3[1].conv1.weight
    assert abs(w.std().item() - (2 / (9 * 64))**0.5) < 0.005


def test_build_from_config_and_gradients():
    torch.manual_seed(0)
    model = build_classifier(32, in_channels=1, num_classes=10)
    model.init_weights()
    assert isinstance(model.backbone, CifarResNet)
    model.train()
    x = torch.randn(4, 1, 28, 28)
    logits = model(x, mode='tensor')
    assert logits.shape == (4, 10)
    logits.logsumexp(dim=1).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert p.grad.abs().sum() > 0, name
