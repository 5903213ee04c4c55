# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
import sys

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import (ImageNetLT, INaturalist, LabelListDataset, PlacesLT,
                           TinyImageNet)

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_image_list  # noqa: E402


def test_registered_in_mmpretrain():
    for cls in (LabelListDataset, ImageNetLT, PlacesLT, INaturalist,
                TinyImageNet):
        assert DATASETS.module_dict[cls.__name__] is cls


@pytest.fixture
def listed(tmp_path):
    entries = [(f'imgs/{c}/{i}.jpg', c) for c in (0, 2) for i in range(c + 1)]
    write_image_list(str(tmp_path), 'list.txt', entries)
    return str(tmp_path)


def test_classes_from_labels_or_arguments(listed):
    ds = DATASETS.build(
        dict(type='LabelListDataset', ann_file='list.txt', data_root=listed))
    # Without classes, the largest label decides; names are the indices.
    assert ds.metainfo['classes'] == ('0', '1', '2')
    assert np.bincount(ds.get_gt_labels()).tolist() == [1, 0, 3]
    assert ds.get_data_info(0)['img_path'].startswith(osp.join(listed, 'imgs'))
    ds = LabelListDataset('list.txt', data_root=listed, num_classes=5)
    assert len(ds.metainfo['classes']) == 5
    ds = LabelListDataset(
        'list.txt', data_root=listed, classes=['a', 'b', 'c'])
    assert ds.metainfo['classes'] == ('a', 'b', 'c')
    with pytest.raises(
            ValueError,
            match=r'list.txt:\d+: label 2 is outside '
            r'0..1 \(LabelListDataset has 2 classes\)'):
        LabelListDataset('list.txt', data_root=listed, classes=['a', 'b'])


def test_data_prefix_and_empty_list(listed, tmp_path):
    lines = open(osp.join(listed, 'list.txt')).read().replace('imgs/', '')
    (tmp_path / 'short.txt').write_text(lines)
    ds = LabelListDataset(
        'short.txt', data_root=listed, data_prefix='imgs', num_classes=3)
    assert len(ds) == 4
    (tmp_path / 'empty.txt').write_text('\n\n')
    with pytest.raises(ValueError, match='empty.txt: the list has no image'):
        LabelListDataset('empty.txt', data_root=listed)
