# Copyright (c) mmlt contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mmlt.models.heads import (LogitAdjustedLinearClsHead,
                               posthoc_logit_adjustment)
from mmlt.utils import ClassCountsMixin

COUNTS = [60, 30, 10]
Z = np.array([[1., 2., 0.5], [-1., 0., 3.]])


@pytest.mark.parametrize('tau', [0., 0.5, 1., 2.])
def test_posthoc_logit_adjustment_by_hand(tau):
    prior = np.array(COUNTS) / 100.
    expected = Z - tau * np.log(prior)
    out = posthoc_logit_adjustment(
        torch.tensor(Z, dtype=torch.float32), COUNTS, tau)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_posthoc_logit_adjustment_bad_input():
    logits = torch.zeros(1, 3)
    with pytest.raises(ValueError, match='posthoc_logit_adjustment: `tau`'):
        posthoc_logit_adjustment(logits, COUNTS, -1.)
    with pytest.raises(ValueError, match='positive counts'):
        posthoc_logit_adjustment(logits, [1, 0, 2], 1.)
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        posthoc_logit_adjustment(logits, [1, 2], 1.)


def _head(tau=1., class_counts=COUNTS):
    head = MODELS.build(
        dict(
            type='LogitAdjustedLinearClsHead',
            num_classes=3,
            in_channels=2,
            tau=tau,
            class_counts=class_counts))
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor([[1., 0.], [0., 1.], [1., 1.]]))
        head.fc.bias.zero_()
    return head


def test_predict_adjusts_training_logits_do_not():
    head = _head(tau=0.5)
    assert isinstance(head, LogitAdjustedLinearClsHead)
    assert isinstance(head, ClassCountsMixin)
    x = torch.tensor([[1., 2.]])
    z = np.array([[1., 2., 3.]])
    np.testing.assert_allclose(head((x, )).detach().numpy(), z, rtol=1e-6)
    expected = z - 0.5 * np.log(np.array(COUNTS) / 100.)
    np.testing.assert_allclose(
        head.predict_logits((x, )).detach().numpy(), expected, rtol=1e-6)
    score = head.predict((x, ))[0].pred_score
    np.testing.assert_allclose(
        score.detach().numpy(),
        F.softmax(torch.tensor(expected), 1)[0].numpy(),
        rtol=1e-5)
    head.tau = 0
    assert torch.equal(head.predict_logits((x, )), head((x, )))


def test_counts_come_from_the_mixin():
    head = _head(class_counts=None)
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        head.predict((torch.ones(1, 2), ))
    assert head.set_class_counts(COUNTS)
    assert head.predict((torch.ones(1, 2), ))[0].pred_label.item() == 2
    with pytest.raises(ValueError, match='4 entries'):
        head.set_class_counts([1, 2, 3, 4])


def test_bad_tau_and_non_finite_logits():
    for bad in (-0.1, math.nan, 'x'):
        with pytest.raises((ValueError, TypeError),
                           match='LogitAdjustedLinearClsHead: `tau`'):
            _head(tau=bad)
    head = _head()
    with pytest.raises(
            ValueError, match='LogitAdjustedLinearClsHead: the adjusted'):
        head.predict((torch.tensor([[math.inf, 0.]]), ))
