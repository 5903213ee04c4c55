# Copyright (c) mmlt contributors. All rights reserved.
"""Places-LT on generated OLTR lists, through the real configs."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import PlacesLT

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_places_lt  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = osp.join(ROOT, 'configs/ce/ce_resnet152_8xb32_places-lt.py')
DEV = osp.join(ROOT, 'configs/_base_/datasets/places_lt_with_dev.py')
TRAIN_COUNTS = [15, 9, 5]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return write_places_lt(
        str(tmp_path_factory.mktemp('places_lt')), TRAIN_COUNTS)


def with_root(path, data_root, num_classes=3):
    cfg = Config.fromfile(path)
    loaders = [
        cfg.train_dataloader.dataset.dataset, cfg.val_dataloader.dataset,
        cfg.test_dataloader.dataset
    ]
    if 'dev_dataloader' in cfg:
        loaders.append(cfg.dev_dataloader.dataset.dataset)
    for ds in loaders:
        ds.data_root = data_root
        ds.num_classes = num_classes
    return cfg


def test_config_loads_every_split(data_root):
    cfg = with_root(CE, data_root)
    assert cfg.model.head.num_classes == 365
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert train.class_counts.tolist() == TRAIN_COUNTS
    # Names from the devkit's categories_places365.txt.
    assert train.metainfo['classes'] == ('place_0', 'place_1', 'place_2')
    assert tuple(train[0]['inputs'].shape) == (3, 224, 224)
    for key in ('val_dataloader', 'test_dataloader'):
        ds = DATASETS.build(cfg[key].dataset)
        assert np.bincount(ds.get_gt_labels()).tolist() == [2, 2, 2]
        assert tuple(ds[0]['inputs'].shape) == (3, 224, 224)


def test_class_names_without_devkit(data_root, tmp_path):
    import shutil
    root = str(tmp_path / 'places')
    shutil.copytree(data_root, root)
    os.remove(osp.join(root, 'categories_places365.txt'))
    ds = PlacesLT(data_root=root, split='test')
    # 365 classes by default, named by index.
    assert ds.metainfo['classes'][:3] == ('0', '1', '2')
    assert len(ds.metainfo['classes']) == 365
    with pytest.raises(
            ValueError,
            match=r'Places_LT_test.txt:\d+: label 2 '
            r'is outside 0..1 \(PlacesLT has 2 classes\)'):
        PlacesLT(data_root=root, split='test', num_classes=2)


def test_dev_split(data_root, tmp_path):
    cfg = with_root(DEV, data_root)
    assert cfg.dev_per_class == 10
    cfg.dev_dataloader.dataset.dev_per_class = 3
    cfg.train_dataloader.dataset.dev_per_class = 3
    dev = DATASETS.build(cfg.dev_dataloader.dataset)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert dev.class_counts.tolist() == [3, 3, 3]
    assert train.class_counts.tolist() == [12, 6, 2]
    assert not set(dev.indices) & set(train.indices)

    # A training split file made without the development split is refused.
    path = str(tmp_path / 'train_all.txt')
    cfg.train_dataloader.dataset.dev_per_class = 0
    DATASETS.build(cfg.train_dataloader.dataset).dump_split(path)
    cfg.train_dataloader.dataset.dev_per_class = 3
    cfg.train_dataloader.dataset.split_file = path
    with pytest.raises(
            ValueError,
            match=r'train_all.txt: image \d+ \(and 8 '
            r'more\) belongs to the development split'):
        DATASETS.build(cfg.train_dataloader.dataset)
