# Copyright (c) mmlt contributors. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import load_state_dict
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS

from mmlt.models.heads import EnsembleClsHead, ensemble_probabilities
from mmlt.models.utils import reinit_module


def test_ensemble_probabilities_by_hand():
    # new: softmax(0, ln 3) = (1/4, 3/4) at t_new = 1;
    # old: softmax((2 ln 4, 0) / 2) = softmax(ln 4, 0) = (4/5, 1/5).
    new = torch.tensor([[0.0, math.log(3)]], dtype=torch.float64)
    old = torch.tensor([[2 * math.log(4), 0.0]], dtype=torch.float64)
    p = ensemble_probabilities(new, old, 1.0, 2.0)
    torch.testing.assert_close(
        p,
        torch.tensor([[(0.25 + 0.8) / 2, (0.75 + 0.2) / 2]],
                     dtype=torch.float64))
    # t_new = 1/2 squares the odds: (1/10, 9/10); t_old = 1: (16/17, 1/17).
    p = ensemble_probabilities(new, old, 0.5, 1.0)
    torch.testing.assert_close(
        p,
        torch.tensor([[(0.1 + 16 / 17) / 2, (0.9 + 1 / 17) / 2]],
                     dtype=torch.float64))


def test_ensemble_probabilities_against_numpy():
    rng = np.random.default_rng(0)
    new, old = rng.normal(size=(2, 6, 5)) * 3

    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    p = ensemble_probabilities(torch.tensor(new), torch.tensor(old), 0.7,
                               3.0).numpy()
    np.testing.assert_allclose(
        p, (softmax(new / 0.7) + softmax(old / 3.0)) / 2, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize('t', [0, -1, float('inf'), float('nan')])
def test_bad_temperatures(t):
    x = torch.zeros(1, 2)
    with pytest.raises(ValueError, match='new_temperature'):
        ensemble_probabilities(x, x, t, 1.0)
    with pytest.raises(ValueError, match='old_temperature'):
        ensemble_probabilities(x, x, 1.0, t)
    with pytest.raises(ValueError, match='new_temperature'):
        EnsembleClsHead(2, 3, new_temperature=t)
    with pytest.raises(ValueError, match='old_temperature'):
        EnsembleClsHead(2, 3, old_temperature=t)
    head = EnsembleClsHead(2, 3)
    with pytest.raises(ValueError, match='old_temperature'):
        head.old_temperature = t
    assert head.old_temperature == 1.0


def test_other_bad_input():
    with pytest.raises(ValueError, match='same shape'):
        ensemble_probabilities(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match='old_classifier'):
        EnsembleClsHead(2, 3, old_classifier='lws')


def test_predict_without_old_classifier_fails():
    head = EnsembleClsHead(3, 4)
    head.init_weights()
    # Training needs only the new classifier.
    assert head((torch.randn(2, 4), )).shape == (2, 3)
    with pytest.raises(RuntimeError, match='no old classifier'):
        head.predict((torch.randn(2, 4), ))


def build(type_, **kwargs):
    head = MODELS.build(
        dict(type=type_, num_classes=5, in_channels=8, **kwargs))
    head.init_weights()
    return head


def prefixed(state, prefix='head.'):
    return {prefix + k: v for k, v in state.items()}


class Wrapper(torch.nn.Module):
    """A model with a head, to load checkpoints the way runners do."""

    def __init__(self, head):
        super().__init__()
        self.head = head


def load_pretrained(pretrained, **kwargs):
    model = Wrapper(build('EnsembleClsHead', **kwargs))
    load_state_dict(model, prefixed(pretrained.state_dict()))
    return model.head


def test_pretrained_linear_classifier_becomes_the_old_one():
    torch.manual_seed(0)
    pretrained = build('LinearClsHead')
    with torch.no_grad():
        pretrained.fc.bias.normal_()
    head = load_pretrained(pretrained)
    assert bool(head.old_fc.loaded)
    for name in ('weight', 'bias'):
        assert torch.equal(
            getattr(head.old_fc, name), getattr(pretrained.fc, name))
        # fc loads too (DecoupledStageHook then re-initialises it).
        assert torch.equal(
            getattr(head.fc, name), getattr(pretrained.fc, name))
    x = torch.randn(4, 8)
    torch.testing.assert_close(head.old_fc(x), pretrained((x, )))

    # The re-initialisation of the classifier stage leaves old_fc alone.
    reinit_module(head)
    assert not torch.equal(head.fc.weight, pretrained.fc.weight)
    assert head.fc.bias.eq(0).all()
    torch.testing.assert_close(head.old_fc(x), pretrained((x, )))
    # old_fc is no parameter: the optimizer never sees it.
    assert [n for n, _ in head.named_parameters()] == ['fc.weight', 'fc.bias']

    # Predictions are the ensemble of both, argmax as label.
    head.new_temperature, head.old_temperature = 0.5, 2.0
    samples = head.predict((x, ))
    expected = ensemble_probabilities(head((x, )), pretrained((x, )), 0.5, 2.0)
    scores = torch.stack([s.pred_score for s in samples])
    torch.testing.assert_close(scores, expected)
    assert [int(s.pred_label) for s in samples] == \
        expected.argmax(dim=1).tolist()


def test_lws_scales_are_folded_in():
    torch.manual_seed(1)
    lws = build('LWSHead', train_scales_only=False)
    with torch.no_grad():
        lws.scales.uniform_(0.5, 2.0)
        lws.fc.bias.normal_()
    head = load_pretrained(lws)
    x = torch.randn(3, 8)
    torch.testing.assert_close(head.old_fc(x), lws((x, )))
    assert 'scales' not in dict(head.named_parameters())


def test_cosine_old_classifier():
    torch.manual_seed(2)
    ldam = build('NormedLinearClsHead')
    head = load_pretrained(ldam, old_classifier='cosine')
    assert head.old_fc.bias.eq(0).all()  # NormedLinearClsHead has no bias
    x = torch.randn(3, 8)
    torch.testing.assert_close(head.old_fc(x), ldam((x, )))
    assert head.old_fc(x).abs().max() <= 1 + 1e-6


def test_own_checkpoint_keeps_its_old_classifier():
    torch.manual_seed(3)
    head = load_pretrained(build('LinearClsHead'))
    reinit_module(head)  # the new classifier differs from the old one
    state = prefixed(head.state_dict())
    assert {'head.old_fc.weight', 'head.old_fc.bias', 'head.old_fc.loaded'
            } <= set(state)
    # Resume / tools/test.py: loaded as saved, not fc copied over old_fc.
    restored = Wrapper(build('EnsembleClsHead'))
    load_state_dict(restored, state, strict=True)
    for key, value in head.state_dict().items():
        assert torch.equal(restored.head.state_dict()[key], value), key
    assert not torch.equal(restored.head.old_fc.weight,
                           restored.head.fc.weight)


def test_plain_head_loads_the_ensemble_checkpoint():
    # The new classifier alone: the ensemble config's checkpoint in the
    # plain GML config (old_fc is an unexpected key, nothing else).
    head = load_pretrained(build('LinearClsHead'))
    reinit_module(head)
    plain = Wrapper(build('LinearClsHead'))
    load_state_dict(plain, prefixed(head.state_dict()))
    assert torch.equal(plain.head.fc.weight, head.fc.weight)


def test_shape_mismatch_loads_no_old_classifier():
    other = MODELS.build(
        dict(type='LinearClsHead', num_classes=7, in_channels=8))
    model = Wrapper(build('EnsembleClsHead'))
    load_state_dict(model, prefixed(other.state_dict()))
    assert not bool(model.head.old_fc.loaded)


def test_is_registered():
    assert MODELS.get('EnsembleClsHead') is EnsembleClsHead
    assert issubclass(EnsembleClsHead, LinearClsHead)
