# Copyright (c) mmlt contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.heads import TauNormHead, tau_normalize

W = np.array([[3., 4.], [0., 2.], [1., 0.]])


@pytest.mark.parametrize('tau', [0., 0.5, 1., 2.])
def test_tau_normalize_by_hand(tau):
    # Row norms 5, 2 and 1.
    expected = W / np.array([[5.], [2.], [1.]])**tau
    out = tau_normalize(torch.tensor(W), tau)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert tau_normalize(torch.tensor(W), 1.)[0].tolist() == [0.6, 0.8]


def test_tau_normalize_zero_row_and_bad_input():
    zero = torch.tensor([[0., 0.], [1., 1.]])
    # tau=0 keeps even an all-zero row.
    assert torch.equal(tau_normalize(zero, 0.), zero)
    assert not torch.isfinite(tau_normalize(zero, 1.)).all()
    with pytest.raises(ValueError, match='tau_normalize: `tau`'):
        tau_normalize(zero, -0.1)
    with pytest.raises(ValueError, match=r'\(C, D\) matrix'):
        tau_normalize(torch.ones(3), 1.)


def _head(tau=0.5):
    head = MODELS.build(
        dict(type='TauNormHead', num_classes=3, in_channels=2, tau=tau))
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor(W))
        head.fc.bias.copy_(torch.tensor([1., -1., 2.]))
    return head


def test_predict_uses_normalised_weights_without_bias():
    head = _head(tau=0.5)
    assert isinstance(head, TauNormHead)
    x = np.array([[1., 2.], [-1., 0.5]])
    feats = (torch.tensor(x, dtype=torch.float32), )
    expected = x @ (W / np.sqrt([[5.], [2.], [1.]])).T
    np.testing.assert_allclose(
        head.predict_logits(feats).detach().numpy(), expected, rtol=1e-6)
    scores = torch.stack([s.pred_score for s in head.predict(feats)])
    np.testing.assert_allclose(
        scores.detach().numpy(),
        F.softmax(torch.tensor(expected), 1).numpy(),
        rtol=1e-5)
    # Training (and mode='tensor') logits are those of LinearClsHead.
    np.testing.assert_allclose(
        head(feats).detach().numpy(), x @ W.T + [1., -1., 2.], rtol=1e-6)


def test_tau_can_be_changed_and_is_checked():
    head = _head(tau=1.)
    feats = (torch.tensor([[1., 1.]]), )
    # tau=1: unit rows; [0.6, 0.8]·x, [0, 1]·x, [1, 0]·x.
    assert head.predict_logits(feats)[0].tolist() == pytest.approx(
        [1.4, 1., 1.])
    head.tau = 0
    assert head.predict_logits(feats)[0].tolist() == pytest.approx(
        [7., 2., 1.])
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError, match='TauNormHead: `tau`'):
            head.tau = bad
    with pytest.raises(ValueError, match='TauNormHead: `tau`'):
        TauNormHead(num_classes=3, in_channels=2, tau=-0.5)


def test_zero_weight_row_is_a_clear_error():
    head = _head(tau=1.)
    with torch.no_grad():
        head.fc.weight[1] = 0
    with pytest.raises(ValueError, match='TauNormHead: the tau-normalised'):
        head.predict((torch.ones(1, 2), ))


def test_loads_a_linear_cls_head_checkpoint():
    linear = MODELS.build(
        dict(type='LinearClsHead', num_classes=3, in_channels=2))
    head = TauNormHead(num_classes=3, in_channels=2)
    head.load_state_dict(linear.state_dict())
