# Copyright (c) mmlt contributors. All rights reserved.
"""RIDEHead: the experts' cosine classifiers and their aggregation, the
loss per expert, the router stage and the number of experts used."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.models.heads import RIDEHead

COUNTS = [50, 20, 8, 3, 1]


def build(**kwargs):
    cfg = dict(
        type='RIDEHead',
        num_classes=5,
        in_channels=6,
        num_experts=3,
        loss=dict(type='RIDELoss', class_counts=COUNTS))
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_aggregation_is_the_mean_of_scaled_cosines():
    torch.manual_seed(0)
    head = build()
    feats = tuple(torch.randn(4, 6) for _ in range(3))
    want = []
    for x, fc in zip(feats, head.classifiers):
        x, w = x.numpy(), fc.weight.detach().numpy()
        cos = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (
            w / np.linalg.norm(w, axis=1, keepdims=True)).T
        want.append(30.0 * cos)
    np.testing.assert_allclose(
        head.expert_logits(feats).detach().numpy(),
        np.stack(want),
        rtol=1e-5,
        atol=1e-5)
    np.testing.assert_allclose(
        head(feats).detach().numpy(), np.mean(want, 0), rtol=1e-5, atol=1e-5)
    # Every classifier row starts with unit length (RIDE's NormedLinear).
    for fc in head.classifiers:
        torch.testing.assert_close(fc.weight.norm(dim=1), torch.ones(5))
    preds = head.predict(feats, samples([0, 1, 2, 3]))
    assert [int(p.num_experts) for p in preds] == [3, 3, 3, 3]


def test_loss_multi_expert_and_per_expert():
    torch.manual_seed(0)
    head = build()
    feats = tuple(torch.randn(4, 6, requires_grad=True) for _ in range(3))
    label = torch.tensor([0, 1, 2, 3])
    loss = head.loss(feats, samples(label))['loss']
    want = head.loss_module(head.expert_logits(feats), label)
    torch.testing.assert_close(loss, want)
    # Other losses: applied per expert and summed (RIDE + GML).
    gml = build(
        classifier='linear',
        loss=dict(type='GeometricMeanLoss', class_counts=COUNTS))
    logits = gml.expert_logits(feats)
    want = sum(gml.loss_module(z, label) for z in logits)
    torch.testing.assert_close(gml.loss(feats, samples(label))['loss'], want)
    assert gml.classifiers[0].bias is not None


def test_router_stage_trains_only_the_router():
    torch.manual_seed(0)
    head = build(router=dict(top_k=3), train_router=True)
    feats = tuple(torch.randn(4, 6, requires_grad=True) for _ in range(3))
    head.loss(feats, samples([0, 1, 2, 3]))['loss'].backward()
    assert all(f.grad is None for f in feats)
    assert all(fc.weight.grad is None for fc in head.classifiers)
    assert all(p.grad is not None for p in head.router.parameters())


def test_routed_prediction_counts_the_experts():
    torch.manual_seed(0)
    head = build(router=dict(top_k=3))
    feats = tuple(torch.randn(4, 6) for _ in range(3))
    # A router that always declines: one expert; always consults: three.
    with torch.no_grad():
        head.router.fc.weight.zero_()
        head.router.fc.bias.fill_(-10.0)
    preds = head.predict(feats, samples([0, 1, 2, 3]))
    assert [int(p.num_experts) for p in preds] == [1, 1, 1, 1]
    torch.testing.assert_close(head(feats), head.expert_logits(feats)[0])
    with torch.no_grad():
        head.router.fc.bias.fill_(10.0)
    assert [int(p.num_experts) for p in head.predict(feats)] == [3] * 4
    head.use_router = False
    head.router.fc.bias.data.fill_(-10.0)
    torch.testing.assert_close(head(feats), head.expert_logits(feats).mean(0))


def test_errors():
    with pytest.raises(ValueError, match='scale'):
        build(scale=16.0)
    with pytest.raises(ValueError, match='router'):
        build(train_router=True)
    with pytest.raises(ValueError, match='experts'):
        build()(tuple(torch.randn(2, 6) for _ in range(2)))
    with pytest.raises(ValueError, match='hard labels'):
        head = build()
        data = [DataSample().set_gt_score(torch.ones(5) / 5)] * 2
        head.loss(tuple(torch.randn(2, 6) for _ in range(3)), data)
    assert isinstance(build(), RIDEHead)
