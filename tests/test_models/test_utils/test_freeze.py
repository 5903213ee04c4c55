# Copyright (c) mmlt contributors. All rights reserved.
import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.models.utils import freeze_module, is_frozen


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.5),
            nn.AdaptiveAvgPool2d(1), nn.Flatten()), nn.Linear(4, 3))


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _assert_same(before, module):
    after = module.state_dict()
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert torch.equal(value, after[key]), key


def test_train_does_not_undo_freezing():
    model = _model()
    body, fc = model
    freeze_module(body)
    assert is_frozen(body) and not is_frozen(model)
    model.train()
    assert not any(m.training for m in body.modules())
    assert fc.training
    # Also a direct call on the frozen module or one of its children.
    body.train()
    body[1].train(True)
    assert not body.training and not body[1].training
    model.eval()
    model.train()
    assert is_frozen(body) and fc.training


def test_weights_and_bn_buffers_stay_bit_identical():
    model = _model()
    body = model[0]
    freeze_module(body)
    before = _state(body)
    head_before = model[1].weight.clone()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(3):
        model.train()
        loss = model(torch.randn(8, 1, 6, 6)).logsumexp(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # Weights, running mean/var and num_batches_tracked.
    _assert_same(before, body)
    assert all(p.grad is None for p in body.parameters())
    assert not torch.equal(model[1].weight, head_before)


def test_dropout_is_off_and_output_deterministic():
    model = _model()
    freeze_module(model[0])
    model.train()
    x = torch.randn(2, 1, 6, 6)
    assert torch.equal(model(x), model(x))


def test_unfrozen_bn_would_change():
    # The check above can fail: without freezing, train mode moves the BN
    # statistics.
    model = _model()
    before = _state(model[0])
    model.train()
    model(torch.randn(8, 1, 6, 6))
    assert not torch.equal(before['1.running_mean'],
                           model[0].state_dict()['1.running_mean'])


def test_idempotent_and_survives_deepcopy():
    model = _model()
    freeze_module(model[0])
    freeze_module(model[0])
    clone = copy.deepcopy(model)
    clone.train()
    assert is_frozen(clone[0]) and clone[1].training
    # The copy's override acts on the copy, not on the original.
    model[0].training = True
    clone[0].train()
    assert model[0].training and not clone[0].training


def test_mmpretrain_backbone_with_its_own_train():
    # mmpretrain's ResNet overrides train() (frozen_stages, norm_eval): the
    # override still runs, in eval mode.
    backbone = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8,
            out_indices=(3, )))
    freeze_module(backbone)
    backbone.train()
    assert is_frozen(backbone)


def _train_steps(model, steps=3):
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    for _ in range(steps):
        model.train()
        loss = model(torch.randn(8, 1, 6, 6) + 2).logsumexp(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_bn_statistics_update_moves_only_the_statistics():
    model = _model()
    body = model[0]
    freeze_module(body, bn_statistics='update')
    assert is_frozen(body)
    before = _state(body)
    _train_steps(model)
    after = body.state_dict()
    # Conv weights and BN affine parameters bit-identical ...
    for key in ('0.weight', '0.bias', '1.weight', '1.bias'):
        assert torch.equal(before[key], after[key]), key
    assert all(p.grad is None for p in body.parameters())
    # ... the BN statistics re-estimated on the new data.
    for key in ('1.running_mean', '1.running_var'):
        assert not torch.equal(before[key], after[key]), key
    assert after['1.num_batches_tracked'].item() == 3


def test_bn_statistics_update_follows_train_and_eval():
    model = _model()
    body = model[0]
    freeze_module(body, bn_statistics='update')
    bn, dropout = body[1], body[3]
    # Frozen in eval mode; the next model.train() (the loop's) starts BN.
    assert not bn.training
    model.train()
    assert bn.training and not body.training and not body[0].training
    assert not dropout.training
    assert is_frozen(body)
    # Also a direct call on the frozen parent passes the mode on to BN.
    body.train()
    assert bn.training and not body.training
    model.eval()
    assert not bn.training
    before = _state(body)
    model(torch.randn(8, 1, 6, 6))
    _assert_same(before, body)


def test_refreeze_switches_bn_statistics():
    model = _model()
    body = model[0]
    freeze_module(body, bn_statistics='update')
    freeze_module(body)
    model.train()
    assert not body[1].training and is_frozen(body)
    before = _state(body)
    _train_steps(model)
    _assert_same(before, body)
    freeze_module(body, bn_statistics='update')
    model.train()
    assert body[1].training and is_frozen(body)


def test_bn_statistics_update_keeps_norm_eval():
    # mmpretrain's ResNet with norm_eval puts its BN in eval mode in its own
    # train(); the override still runs it.
    backbone = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8,
            out_indices=(3, ),
            norm_eval=True))
    freeze_module(backbone, bn_statistics='update')
    backbone.train()
    assert not any(m.training for m in backbone.modules())
    free = MODELS.build(
        dict(
            type='ResNet',
            depth=18,
            in_channels=1,
            stem_channels=8,
            base_channels=8,
            out_indices=(3, )))
    freeze_module(free, bn_statistics='update')
    free.train()
    bns = [m for m in free.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(m.training for m in bns)
    assert not free.training and not free.layer1.training


def test_bad_bn_statistics():
    with pytest.raises(ValueError, match='bn_statistics'):
        freeze_module(_model(), bn_statistics='train')
