# Copyright (c) mmlt contributors. All rights reserved.
"""iNaturalist 2017 / 2018 on generated official json files, through the
real configs."""
import json
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import INaturalist

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_inaturalist  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN_COUNTS = [9, 6, 4, 2, 2]
YEARS = (2017, 2018)


@pytest.fixture(scope='module', params=YEARS)
def inat(request, tmp_path_factory):
    year = request.param
    root = str(tmp_path_factory.mktemp(f'inat{year}'))
    return year, write_inaturalist(root, year, TRAIN_COUNTS)


def config(year, data_root, name='ce/ce_resnet50_8xb64_inaturalist{}.py'):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name.format(year)))
    loaders = [
        cfg.train_dataloader.dataset.dataset, cfg.val_dataloader.dataset,
        cfg.test_dataloader.dataset
    ]
    if 'dev_dataloader' in cfg:
        loaders.append(cfg.dev_dataloader.dataset.dataset)
    for ds in loaders:
        ds.data_root = data_root
    return cfg


def test_config_loads_train_and_val(inat):
    year, root = inat
    cfg = config(year, root)
    assert cfg.model.head.num_classes == {2017: 5089, 2018: 8142}[year]
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert train.dataset.year == year
    assert train.class_counts.tolist() == TRAIN_COUNTS
    assert train.metainfo['classes'] == tuple(f'Species {i}' for i in range(5))
    # Labels follow the annotations, whatever the order of the lists.
    for i in range(len(train)):
        info = train.get_data_info(i)
        folder = osp.basename(osp.dirname(info['img_path']))
        assert folder.endswith(str(info['gt_label']))
    assert tuple(train[0]['inputs'].shape) == (3, 224, 224)
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert test.split == 'val'
    assert np.bincount(test.get_gt_labels()).tolist() == [2] * 5
    assert tuple(test[0]['inputs'].shape) == (3, 224, 224)


def test_dev_split(inat, tmp_path):
    year, root = inat
    cfg = config(year, root, '_base_/datasets/inaturalist{}_with_dev.py')
    k = {2017: 5, 2018: 2}[year]
    assert cfg.dev_per_class == k
    if year == 2017:
        # Classes of 4 and 2 images cannot give 5.
        with pytest.raises(
                ValueError,
                match=r"class 2 \('Species 2'\) has 4 "
                r'images in INaturalist, fewer than '
                r'dev_per_class=5'):
            DATASETS.build(cfg.dev_dataloader.dataset)
        return
    dev = DATASETS.build(cfg.dev_dataloader.dataset)
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert dev.class_counts.tolist() == [2] * 5
    # The classes of 2 images keep none (with a warning).
    assert train.class_counts.tolist() == [7, 4, 2, 0, 0]
    assert not set(dev.indices) & set(train.indices)
    path = str(tmp_path / 'dev.txt')
    dev.dump_split(path)
    text = open(path).read()
    assert 'split=dev dev_per_class=2 dev_seed=0' in text
    assert len(
        [line for line in text.splitlines() if not line.startswith('#')]) == 10


def _edit_json(root, year, edit):
    path = osp.join(root, f'train{year}.json')
    data = json.load(open(path))
    edit(data)
    json.dump(data, open(path, 'w'))


@pytest.fixture
def copy(inat, tmp_path):
    year, root = inat
    new = str(tmp_path / 'inat')
    shutil.copytree(root, new)
    return year, new


def test_annotation_of_unknown_image(copy):
    year, root = copy
    _edit_json(root, year,
               lambda d: d['annotations'][3].update(image_id=123456))
    with pytest.raises(
            ValueError,
            match=rf'train{year}.json: annotations\[3\] '
            r'\(image_id 123456\) refers to no entry of "images"'):
        INaturalist(data_root=root, year=year)


def test_image_without_annotation(copy):
    year, root = copy
    _edit_json(root, year, lambda d: d['annotations'].pop(0))
    with pytest.raises(
            ValueError,
            match=rf'train{year}.json: image id \d+ '
            r'\(and 0 more\) has no annotation'):
        INaturalist(data_root=root, year=year)


def test_unknown_category_and_duplicate(copy):
    year, root = copy
    _edit_json(root, year,
               lambda d: d['annotations'][1].update(category_id=99))
    with pytest.raises(
            ValueError,
            match=r'annotations\[1\] .* has '
            r'category_id 99, which is not in "categories"'):
        INaturalist(data_root=root, year=year)
    _edit_json(
        root, year, lambda d: d['annotations'].__setitem__(
            1, dict(d['annotations'][0], id=777)))
    with pytest.raises(
            ValueError, match=r'annotations\[1\] .* is the second '
            r'annotation'):
        INaturalist(data_root=root, year=year)


def test_missing_files(copy):
    year, root = copy
    data = json.load(open(osp.join(root, f'val{year}.json')))
    os.remove(osp.join(root, data['images'][4]['file_name']))
    with pytest.raises(
            FileNotFoundError,
            match=rf'val{year}.json: images\[4\]'
            r': image .* is not under'):
        INaturalist(data_root=root, year=year, split='val')
    os.remove(osp.join(root, f'train{year}.json'))
    with pytest.raises(
            FileNotFoundError,
            match=rf'train{year}.json does not '
            rf'exist; download train{year}.json'):
        INaturalist(data_root=root, year=year)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='year must be one of'):
        INaturalist(data_root=str(tmp_path), year=2019)
    with pytest.raises(ValueError, match='the test sets have no labels'):
        INaturalist(data_root=str(tmp_path), split='test')
