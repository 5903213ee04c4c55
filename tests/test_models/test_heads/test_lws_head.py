# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.models.heads import LWSHead

W = np.array([[1., 2.], [0., -1.], [3., 1.]])
B = np.array([0.5, 1., -2.])
F_SCALES = np.array([2., 0.5, -1.])


def _head(**kwargs):
    head = MODELS.build(
        dict(type='LWSHead', num_classes=3, in_channels=2, **kwargs))
    head.init_weights()
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor(W))
        head.fc.bias.copy_(torch.tensor(B))
    return head


def test_scales_start_at_one():
    head = _head()
    assert isinstance(head, LWSHead)
    assert head.scales.tolist() == [1., 1., 1.]
    x = torch.tensor([[1., 1.]])
    assert head((x, )).tolist() == [[3.5, 0., 2.]]


def test_logits_by_hand():
    head = _head()
    with torch.no_grad():
        head.scales.copy_(torch.tensor(F_SCALES))
    x = np.array([[1., 1.], [2., -1.]])
    # f_c * (W x + b)_c
    expected = F_SCALES * (x @ W.T + B)
    feats = (torch.tensor(x, dtype=torch.float32), )
    np.testing.assert_allclose(
        head(feats).detach().numpy(), expected, rtol=1e-6)
    pred = head.predict(feats)[0]
    assert pred.pred_label.item() == int(np.argmax(expected[0]))


def test_train_scales_only_trains_only_the_scales():
    head = _head()
    assert [n for n, p in head.named_parameters()
            if p.requires_grad] == ['scales']
    head.train()
    sample = DataSample().set_gt_label(2)
    head.loss((torch.ones(1, 2), ), [sample])['loss'].backward()
    assert head.scales.grad is not None and head.scales.grad.abs().sum() > 0
    assert head.fc.weight.grad is None and head.fc.bias.grad is None

    free = _head(train_scales_only=False)
    assert all(p.requires_grad for p in free.parameters())


def test_loads_a_linear_cls_head_checkpoint():
    linear = MODELS.build(
        dict(type='LinearClsHead', num_classes=3, in_channels=2))
    head = LWSHead(num_classes=3, in_channels=2)
    missing, unexpected = head.load_state_dict(
        linear.state_dict(), strict=False)
    assert missing == ['scales'] and not unexpected
    assert torch.equal(head.fc.weight, linear.fc.weight)
