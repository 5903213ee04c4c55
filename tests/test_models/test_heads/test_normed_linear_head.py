# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.models.heads import NormedLinearClsHead, cosine_logits
from mmlt.models.utils import reinit_module

W = np.array([[3., 4.], [0., -2.], [1., 1.]])


def _head(**kwargs):
    kwargs.setdefault('loss', dict(type='LDAMLoss', max_m=0.5, s=30.0))
    head = MODELS.build(
        dict(
            type='NormedLinearClsHead', num_classes=3, in_channels=2,
            **kwargs))
    head.init_weights()
    with torch.no_grad():
        head.fc.weight.copy_(torch.tensor(W))
    return head


def _samples(labels):
    return [DataSample().set_gt_label(label) for label in labels]


def test_logits_by_hand():
    head = _head()
    assert isinstance(head, NormedLinearClsHead) and head.fc.bias is None
    x = torch.tensor([[2., 0.], [1., 1.], [0., -5.]])
    # Unit rows of W: (0.6, 0.8), (0, -1), (1, 1) / sqrt(2).
    r = 1 / np.sqrt(2)
    expected = np.array([
        [0.6, 0., r],
        [1.4 * r, -r, 1.],
        [-0.8, 1., -r],
    ])
    np.testing.assert_allclose(
        head((x, )).detach().numpy(), expected, rtol=1e-6, atol=1e-7)
    scaled = _head(scale=16.)
    np.testing.assert_allclose(
        scaled((x, )).detach().numpy(), 16 * expected, rtol=1e-6)


def test_matches_numpy():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(5, 7)), rng.normal(size=(4, 7))
    expected = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (
        w / np.linalg.norm(w, axis=1, keepdims=True)).T
    np.testing.assert_allclose(
        cosine_logits(torch.tensor(x), torch.tensor(w)).numpy(),
        expected,
        rtol=1e-12)


def test_invariant_to_row_and_feature_norms():
    head = _head()
    x = torch.tensor([[2., -1.], [0.5, 3.]])
    before = head((x, ))
    with torch.no_grad():
        head.fc.weight.mul_(torch.tensor([[5.], [0.1], [7.]]))
    after = head((x * torch.tensor([[3.], [0.2]]), ))
    torch.testing.assert_close(after, before)
    assert (before.abs() <= 1 + 1e-6).all()


@pytest.mark.parametrize('case', ['init', 'reinit'])
def test_init_gives_unit_rows(case):
    torch.manual_seed(0)
    head = NormedLinearClsHead(num_classes=10, in_channels=64)
    head.init_weights()
    if case == 'reinit':
        # cRT re-initialises a trained head; rows come back to unit length.
        with torch.no_grad():
            head.fc.weight.mul_(3.)
        reinit_module(head)
    norms = torch.linalg.vector_norm(head.fc.weight, dim=1)
    torch.testing.assert_close(norms, torch.ones(10))
    # Random directions, not one repeated row.
    assert torch.linalg.matrix_rank(head.fc.weight) == 10


def test_init_cfg_overrides_unit_rows():
    head = NormedLinearClsHead(
        num_classes=3,
        in_channels=2,
        init_cfg=dict(type='Constant', layer='Linear', val=0.5))
    head.init_weights()
    assert torch.equal(head.fc.weight, torch.full((3, 2), 0.5))


def test_gradcheck():
    torch.manual_seed(0)
    head = NormedLinearClsHead(num_classes=4, in_channels=3, scale=2.)
    head.init_weights()
    head.double()
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)

    def logits(x, weight):
        return torch.func.functional_call(head, {'fc.weight': weight},
                                          ((x, ), ))

    assert torch.autograd.gradcheck(logits, (x, weight))


def test_ldam_loss_and_predict():
    head = _head()
    x = torch.tensor([[2., 0.], [0., -5.]])
    head.loss_module.set_class_counts([100, 10, 1])
    loss = head.loss((x, ), _samples([0, 1]))['loss']
    # LDAM by hand: s * (cos - margin on the target), then CE.
    cos = head((x, )).detach().numpy()
    margins = np.array([100, 10, 1])**-0.25
    margins *= 0.5 / margins.max()
    logits = cos.copy()
    logits[0, 0] -= margins[0]
    logits[1, 1] -= margins[1]
    logits *= 30
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -(logp[0, 0] + logp[1, 1]) / 2
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-5)
    preds = head.predict((x, ))
    # The cosines [0.6, 0, 0.71] and [-0.8, 1, -0.71].
    assert [p.pred_label.item() for p in preds] == [2, 1]


def test_zero_and_non_finite_features():
    head = _head()
    head.loss_module.set_class_counts([100, 10, 1])
    # An all-zero feature is scored 0 for every class, not NaN.
    zero = torch.zeros(1, 2)
    assert torch.equal(head((zero, )), torch.zeros(1, 3))
    head.loss((zero, ), _samples([0]))
    # A NaN or inf feature still reaches LDAM's check.
    for bad in (float('nan'), float('inf')):
        feats = torch.tensor([[bad, 1.]])
        with pytest.raises(ValueError, match='not finite'):
            head.loss((feats, ), _samples([0]))


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_classes=0), 'num_classes'),
    (dict(num_classes=-2), 'num_classes'),
    (dict(num_classes=2.0), 'num_classes'),
    (dict(in_channels=0), 'in_channels'),
    (dict(scale=0.), 'scale'),
    (dict(scale=float('inf')), 'scale'),
])
def test_bad_args(kwargs, match):
    args = dict(num_classes=3, in_channels=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        NormedLinearClsHead(**args)
