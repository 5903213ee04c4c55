# Copyright (c) mmlt contributors. All rights reserved.
"""The three-expert RIDEHead with its router on fake CUDA (no CPU tensor,
no host read) and under bf16 autocast. RIDELoss and the one-expert head run
through the sweeps of test_device_precision.py."""
import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from test_models.test_losses import test_device_precision as sweeps
from torch._subclasses import FakeTensorMode


def three_expert_head(train_router=False):
    head = MODELS.build(
        dict(
            type='RIDEHead',
            num_classes=sweeps.NUM_CLASSES,
            in_channels=sweeps.DIM,
            num_experts=3,
            loss=dict(type='RIDELoss', class_counts=sweeps.COUNTS),
            router=dict(top_k=3),
            train_router=train_router))
    head.init_weights()
    # The per-class temperature and class weights of the DRW phase.
    head.loss_module.set_class_weight([0.2, 0.4, 1, 2, 3])
    return head


def feats_of(device='cpu'):
    gen = torch.Generator().manual_seed(0)
    return tuple(
        torch.randn(sweeps.NUM, sweeps.DIM, generator=gen).to(device)
        for _ in range(3))


@pytest.mark.parametrize('train_router', [False, True])
def test_three_experts_on_fake_cuda(train_router):
    head = three_expert_head(train_router).train()
    with FakeTensorMode(allow_non_fake_inputs=True):
        head = head.to('cuda')
        feats = feats_of('cuda')
        labels = torch.arange(sweeps.NUM, device='cuda') % sweeps.NUM_CLASSES
        losses = head.loss(feats, sweeps.samples(labels))
        assert losses['loss'].device.type == 'cuda'
        head.eval()
        with torch.no_grad():
            preds = head.predict(feats)
        assert all(p.num_experts.device.type == 'cuda' for p in preds)


def test_three_experts_under_bf16():
    head = three_expert_head()
    labels = torch.arange(sweeps.NUM) % sweeps.NUM_CLASSES
    out = {}
    for autocast in (False, True):
        model = copy.deepcopy(head)
        feats = tuple(f.requires_grad_() for f in feats_of())
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            # Features from a linear layer, as under mixed precision.
            feats_in = tuple(
                torch.nn.functional.linear(f, torch.eye(sweeps.DIM))
                for f in feats)
            loss = model.loss(feats_in, sweeps.samples(labels))['loss']
        loss.backward()
        assert torch.isfinite(loss) and all(
            torch.isfinite(f.grad).all() for f in feats)
        out[autocast] = loss.item()
    assert abs(out[True] - out[False]) <= (
        sweeps.BF16_RTOL * abs(out[False]) + 10 * sweeps.BF16_ATOL)
