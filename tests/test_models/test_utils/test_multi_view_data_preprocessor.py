# Copyright (c) mmlt contributors. All rights reserved.
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.structures import DataSample

from mmlt.models.utils import MultiViewClsDataPreprocessor, is_multi_view


def batch(views, collate):
    samples = []
    for i in range(3):
        img = [
            torch.full((1, 4, 4), float(10 * v + i), dtype=torch.uint8)
            for v in range(views)
        ]
        samples.append(
            dict(
                inputs=img if views > 1 else img[0],
                data_samples=DataSample().set_gt_label(i)))
    return collate(samples)


@pytest.mark.parametrize('collate', [pseudo_collate, default_collate])
def test_two_views_are_normalised_separately(collate):
    pre = MultiViewClsDataPreprocessor(mean=[2.0], std=[4.0], num_classes=3)
    data = batch(2, collate)
    assert is_multi_view(data['inputs'])
    out = pre(data, training=True)
    assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
    for v, view in enumerate(out['inputs']):
        assert view.shape == (3, 1, 4, 4)
        want = (torch.tensor([10. * v + i for i in range(3)]) - 2) / 4
        assert torch.allclose(view[:, 0, 0, 0], want)
    labels = torch.cat([s.gt_label for s in out['data_samples']])
    assert labels.tolist() == [0, 1, 2]


def test_single_view_as_parent():
    pre = MultiViewClsDataPreprocessor(mean=[2.0], std=[4.0], num_classes=3)
    data = batch(1, pseudo_collate)
    assert not is_multi_view(data['inputs'])
    out = pre(data)
    assert torch.is_tensor(
        out['inputs']) and out['inputs'].shape == (3, 1, 4, 4)


def test_batch_augments_refused_for_views():
    pre = MultiViewClsDataPreprocessor(
        num_classes=3,
        batch_augments=dict(augments=dict(type='Mixup', alpha=1.0)))
    with pytest.raises(ValueError, match='batch_augments'):
        pre(batch(2, pseudo_collate), training=True)
