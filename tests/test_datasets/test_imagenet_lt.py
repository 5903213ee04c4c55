# Copyright (c) mmlt contributors. All rights reserved.
"""ImageNet-LT on generated OLTR lists, through the real configs."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import ImageNetLT, LongTailDataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_imagenet_lt  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = osp.join(ROOT, 'configs/ce/ce_resnet50_8xb64_imagenet-lt.py')
DEV = osp.join(ROOT, 'configs/_base_/datasets/imagenet_lt_with_dev.py')
TRAIN_COUNTS = [12, 7, 4, 3]
CLASSES = ('tench', 'goldfish', 'shark', 'ray')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return write_imagenet_lt(
        str(tmp_path_factory.mktemp('imagenet_lt')), TRAIN_COUNTS)


def with_root(path, data_root, classes=CLASSES):
    """The config with the generated data (and its few classes)."""
    cfg = Config.fromfile(path)
    loaders = [
        cfg.train_dataloader.dataset.dataset, cfg.val_dataloader.dataset,
        cfg.test_dataloader.dataset
    ]
    if 'dev_dataloader' in cfg:
        loaders.append(cfg.dev_dataloader.dataset.dataset)
    for ds in loaders:
        ds.data_root = data_root
        if classes:
            ds.metainfo = dict(classes=classes)
    return cfg


def test_config_loads_every_split(data_root):
    cfg = with_root(CE, data_root)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(train, LongTailDataset)
    # profile=None: the list is long-tailed already, every image is kept.
    assert train.class_counts.tolist() == TRAIN_COUNTS
    assert train.metainfo['classes'] == CLASSES
    sample = train[0]
    assert tuple(sample['inputs'].shape) == (3, 224, 224)
    assert sample['data_samples'].gt_label.item() == train.get_cat_ids(0)[0]
    for key in ('val_dataloader', 'test_dataloader'):
        ds = DATASETS.build(cfg[key].dataset)
        assert np.bincount(ds.get_gt_labels()).tolist() == [2, 2, 2, 2]
        assert tuple(ds[0]['inputs'].shape) == (3, 224, 224)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert all('/val/n0000000' in test.get_data_info(i)['img_path']
               for i in range(len(test)))


def test_imagenet_class_names(data_root):
    # Without an override: ImageNet's 1,000 classes in the usual order.
    ds = ImageNetLT(data_root=data_root, split='train')
    assert len(ds.metainfo['classes']) == 1000
    assert ds.metainfo['classes'][0] == 'tench, Tinca tinca'
    counts = np.bincount(ds.get_gt_labels(), minlength=1000)
    assert counts[:4].tolist() == TRAIN_COUNTS and counts[4:].sum() == 0


def test_ann_file_overrides_split(data_root, tmp_path):
    lines = open(osp.join(data_root, 'ImageNet_LT_train.txt')).readlines()
    custom = tmp_path / 'mine.txt'
    custom.write_text(''.join(lines[:5]) + '\n')
    ds = ImageNetLT(
        data_root=data_root,
        ann_file=str(custom),
        metainfo=dict(classes=CLASSES))
    assert len(ds) == 5


def test_dev_split(data_root, tmp_path):
    cfg = with_root(DEV, data_root)
    # 20 images per class in the paper's config; the generated classes are
    # smaller.
    assert cfg.dev_per_class == 20
    cfg.dev_dataloader.dataset.dev_per_class = 5
    with pytest.raises(
            ValueError,
            match=r"class 2 \('shark'\) has 4 "
            r'images in ImageNetLT, fewer than dev_per_class=5'):
        DATASETS.build(cfg.dev_dataloader.dataset)
    cfg.train_dataloader.dataset.dev_per_class = 2
    cfg.dev_dataloader.dataset.dev_per_class = 2
    train = DATASETS.build(cfg.train_dataloader.dataset)
    dev = DATASETS.build(cfg.dev_dataloader.dataset)
    assert dev.class_counts.tolist() == [2, 2, 2, 2]
    assert train.class_counts.tolist() == [c - 2 for c in TRAIN_COUNTS]
    assert not set(train.indices) & set(dev.indices)
    assert len(set(train.indices) | set(dev.indices)) == sum(TRAIN_COUNTS)
    again = DATASETS.build(cfg.dev_dataloader.dataset)
    np.testing.assert_array_equal(again.indices, dev.indices)
    assert tuple(dev[0]['inputs'].shape) == (3, 224, 224)

    path = str(tmp_path / 'dev.txt')
    dev.dump_split(path)
    cfg.dev_dataloader.dataset.split_file = path
    reloaded = DATASETS.build(cfg.dev_dataloader.dataset)
    np.testing.assert_array_equal(reloaded.indices, dev.indices)
    paths = [reloaded.get_data_info(i)['img_path'] for i in range(len(dev))]
    assert paths == [dev.get_data_info(i)['img_path'] for i in range(len(dev))]


@pytest.fixture
def copy_root(data_root, tmp_path):
    """A private copy of the generated data, to damage."""
    import shutil
    root = str(tmp_path / 'imagenet_lt')
    shutil.copytree(data_root, root)
    return root


def _line_of(path, needle):
    for lineno, line in enumerate(open(path), 1):
        if needle in line:
            return lineno, line
    raise AssertionError(needle)


def test_missing_images_name_the_line(copy_root):
    ann = osp.join(copy_root, 'ImageNet_LT_train.txt')
    lineno, line = _line_of(ann, 'n00000002_1.JPEG')
    os.remove(osp.join(copy_root, line.split()[0]))
    os.remove(osp.join(copy_root, 'train/n00000003/n00000003_0.JPEG'))
    first = min(lineno, _line_of(ann, 'n00000003_0.JPEG')[0])
    with pytest.raises(
            FileNotFoundError,
            match=rf'ImageNet_LT_train.txt:{first}: image .* is '
            r'not under .* 1 more of the 26 images'):
        ImageNetLT(data_root=copy_root, metainfo=dict(classes=CLASSES))
    # The check can be skipped, e.g. for images on a slow file system.
    ds = ImageNetLT(
        data_root=copy_root, metainfo=dict(classes=CLASSES), check_files=False)
    assert len(ds) == sum(TRAIN_COUNTS)


@pytest.mark.parametrize('line, match', [
    ('train/n00000000/n00000000_0.JPEG 4',
     r'ImageNet_LT_val.txt:3: label 4 is outside 0..3 \(ImageNetLT has 4 '
     r'classes\)'),
    ('train/n00000000/n00000000_0.JPEG', r'ImageNet_LT_val.txt:3: expected '
     r'"relative/path label"'),
    ('train/n00000000/n00000000_0.JPEG -1', r'ImageNet_LT_val.txt:3: '
     r'expected'),
])
def test_bad_lines_name_the_line(copy_root, line, match):
    ann = osp.join(copy_root, 'ImageNet_LT_val.txt')
    lines = open(ann).readlines()
    lines[2] = line + '\n'
    open(ann, 'w').writelines(lines)
    with pytest.raises(ValueError, match=match):
        ImageNetLT(
            data_root=copy_root, split='val', metainfo=dict(classes=CLASSES))


def test_missing_list_and_bad_split(tmp_path):
    with pytest.raises(
            FileNotFoundError,
            match=r'ImageNetLT: .*ImageNet_LT_test.txt does not '
            r'exist; download the list'):
        ImageNetLT(data_root=str(tmp_path), split='test')
    with pytest.raises(ValueError, match='split must be one of'):
        ImageNetLT(data_root=str(tmp_path), split='dev')
