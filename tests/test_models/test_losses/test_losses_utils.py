# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmpretrain.registry import MODELS

import mmlt.models.losses as mmlt_losses
from mmlt.models.losses.utils import (check_number, class_weighted_reduce,
                                      prepare_target, reduce_loss)


def test_all_registered_in_mmpretrain_registry():
    classes = [
        getattr(mmlt_losses, name) for name in mmlt_losses.__all__
        if isinstance(getattr(mmlt_losses, name), type)
    ]
    assert sorted(cls.__name__ for cls in classes) == [
        'BalancedSoftmaxLoss', 'CategoryGHMLoss', 'ClassBalancedLoss',
        'CombinedLoss', 'EqualizationLoss', 'GHMCLoss', 'GeometricMeanLoss',
        'GradualBalancedLoss', 'LDAMLoss', 'LabelAwareSmoothingLoss',
        'LogitAdjustedLoss', 'PaCoLoss', 'RIDELoss',
        'ReweightedCrossEntropyLoss', 'SoftmaxFocalLoss'
    ]
    for cls in classes:
        assert MODELS.get(cls.__name__) is cls
    # mmpretrain's own losses are untouched.
    for name in ('FocalLoss', 'SeesawLoss', 'CrossEntropyLoss',
                 'LabelSmoothLoss', 'AsymmetricLoss'):
        assert MODELS.get(name).__module__.startswith('mmpretrain')


def test_prepare_target():
    score = torch.zeros(3, 4)
    target, label = prepare_target('X', score, torch.tensor([0, 3, 1]))
    assert label.tolist() == [0, 3, 1]
    assert target.tolist() == torch.eye(4)[[0, 3, 1]].tolist()
    soft = torch.full((3, 4), 0.25)
    target, label = prepare_target('X', score, soft)
    assert label is None and torch.equal(target, soft)
    with pytest.raises(ValueError, match='X needs integer class labels'):
        prepare_target('X', score, soft, allow_soft=False)
    with pytest.raises(TypeError, match='X: hard labels must be integer'):
        prepare_target('X', score, torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r'X: label must have shape \(3, \)'):
        prepare_target('X', score, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r'X: cls_score must have shape'):
        prepare_target('X', torch.zeros(3), torch.tensor([0, 1, 2]))


def test_check_number():
    assert check_number('X', 'a', 1) == 1.0
    with pytest.raises(
            ValueError, match=r'X: `a` must be a finite number in '
            r'\[0, 1\)'):
        check_number('X', 'a', 1, 0, 1, high_inclusive=False)
    with pytest.raises(TypeError, match='X: `a` must be a number'):
        check_number('X', 'a', 'big')


def test_reductions():
    loss = torch.tensor([1.0, 2.0, 3.0])
    assert reduce_loss(loss).item() == 2.0
    assert reduce_loss(loss, torch.tensor([1.0, 0.0, 1.0]),
                       'sum').item() == 4.0
    assert reduce_loss(loss, reduction='mean', avg_factor=2).item() == 3.0
    elementwise = torch.ones(3, 2)
    out = reduce_loss(elementwise, torch.tensor([1.0, 2.0, 3.0]), 'none')
    assert out.tolist() == [[1, 1], [2, 2], [3, 3]]
    # Class-weighted: the torch mean divides by the total class weight.
    cw = torch.tensor([1.0, 2.0, 1.0])
    assert class_weighted_reduce(loss * cw, cw).item() == pytest.approx(2.0)
    assert class_weighted_reduce(
        loss * cw, cw, avg_factor=3).item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match='avg_factor can not be used'):
        class_weighted_reduce(loss, cw, reduction='sum', avg_factor=3)


@pytest.mark.parametrize('cfg', [
    dict(type='ClassBalancedLoss', loss_type='focal'),
    dict(type='SoftmaxFocalLoss'),
    dict(type='GHMCLoss', bins=5),
    dict(type='EqualizationLoss', lambda_=0.2, gamma=0.0),
    dict(type='LDAMLoss', class_weight=[1.0, 2.0, 3.0, 4.0]),
    dict(type='ReweightedCrossEntropyLoss', class_weight=[1.0, 2.0, 3.0, 4.0]),
    dict(type='BalancedSoftmaxLoss'),
    dict(type='LogitAdjustedLoss', tau=2.0),
    dict(type='LabelAwareSmoothingLoss'),
])
def test_in_linear_cls_head(cfg):
    """mmpretrain's ClsHead passes avg_factor=N: each loss's mean holds."""
    from mmpretrain.structures import DataSample
    counts = [40, 10, 3, 1]
    loss_cfg = dict(cfg)
    if cfg['type'] not in ('SoftmaxFocalLoss', 'GHMCLoss'):
        loss_cfg['class_counts'] = counts
    head = MODELS.build(
        dict(
            type='LinearClsHead', num_classes=4, in_channels=6, loss=loss_cfg))
    torch.manual_seed(0)
    feats = torch.randn(5, 6)
    labels = [0, 1, 2, 3, 0]
    samples = [DataSample().set_gt_label(label) for label in labels]
    loss = head.loss((feats, ), samples)['loss']
    expected = head.loss_module(head((feats, )), torch.tensor(labels))
    torch.testing.assert_close(loss, expected)
