# Copyright (c) mmlt contributors. All rights reserved.
"""Tiny-ImageNet-LT on a generated tiny-imagenet-200 folder, through the
real config."""
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import TinyImageNet

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_tiny_imagenet  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = osp.join(ROOT, 'configs/ce/ce_resnet32_1xb128_tiny-imagenet-lt-r100.py')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return write_tiny_imagenet(str(tmp_path_factory.mktemp('tiny')))


def with_root(data_root):
    cfg = Config.fromfile(CE)
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    return cfg


def test_config_is_long_tailed(data_root):
    cfg = with_root(data_root)
    assert cfg.train_dataloader.dataset.max_count == 500
    cfg.train_dataloader.dataset.max_count = 10
    cfg.train_dataloader.dataset.imbalance_factor = 5
    train = DATASETS.build(cfg.train_dataloader.dataset)
    # floor(10 * 5 ** (-i / 3))
    assert train.class_counts.tolist() == [10, 5, 3, 2]
    # Sorted WordNet ids, named by the first synonym of words.txt.
    assert train.metainfo['classes'] == ('thing 8979', 'thing 8986',
                                         'thing 8993', 'thing 9000')
    sample = train[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    assert sample['data_samples'].gt_label.item() == train.get_cat_ids(0)[0]
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert np.bincount(test.get_gt_labels()).tolist() == [3, 3, 3, 3]
    assert tuple(test[0]['inputs'].shape) == (3, 64, 64)


def test_labels_match_the_folders(data_root):
    train = TinyImageNet(data_root=data_root)
    classes = sorted(os.listdir(osp.join(data_root, 'train')))
    for i in range(len(train)):
        info = train.get_data_info(i)
        wnid = info['img_path'].split('/')[-3]
        assert classes.index(wnid) == info['gt_label']
    val = TinyImageNet(data_root=data_root, split='val')
    lines = open(osp.join(data_root, 'val', 'val_annotations.txt')).readlines()
    for info, line in zip((val.get_data_info(i) for i in range(len(val))),
                          lines):
        name, wnid = line.split('\t')[:2]
        assert info['img_path'].endswith(name)
        assert classes.index(wnid) == info['gt_label']


@pytest.fixture
def copy_root(data_root, tmp_path):
    root = str(tmp_path / 'tiny-imagenet-200')
    shutil.copytree(data_root, root)
    return root


def test_bad_layouts(copy_root):
    ann = osp.join(copy_root, 'val', 'val_annotations.txt')
    lines = open(ann).readlines()
    lines[4] = lines[4].replace('n00009000', 'n00001234')
    open(ann, 'w').writelines(lines)
    with pytest.raises(
            ValueError,
            match=r'val_annotations.txt:5: n00001234 '
            r'is not in wnids.txt'):
        TinyImageNet(data_root=copy_root, split='val')
    os.remove(osp.join(copy_root, 'val', 'images', 'val_2.JPEG'))
    lines[4] = lines[3]
    open(ann, 'w').writelines(lines)
    with pytest.raises(
            FileNotFoundError,
            match=r'val_annotations.txt:3: '
            r"image 'val_2.JPEG' is not under"):
        TinyImageNet(data_root=copy_root, split='val')
    shutil.rmtree(osp.join(copy_root, 'train', 'n00008986'))
    with pytest.raises(
            FileNotFoundError,
            match=r'train/n00008986/images does '
            r'not exist, but .*wnids.txt lists n00008986'):
        TinyImageNet(data_root=copy_root)
    os.remove(osp.join(copy_root, 'wnids.txt'))
    with pytest.raises(
            FileNotFoundError,
            match=r'wnids.txt does not exist; '
            r'unzip tiny-imagenet-200.zip'):
        TinyImageNet(data_root=copy_root)
    with pytest.raises(ValueError, match='the test images have no labels'):
        TinyImageNet(data_root=copy_root, split='test')
