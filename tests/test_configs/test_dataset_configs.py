# Copyright (c) mmlt contributors. All rights reserved.
"""The large-scale dataset configs and the development-split variants."""
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.datasets import CIFAR10
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_cifar  # noqa: E402
from test_cifar_lt import register_md5  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(ROOT, 'configs', '_base_', 'datasets')
# Classes of each benchmark and the development images per class of Jamal
# et al. (CVPR 2020).
DATASETS_K = {
    'cifar10_lt': (10, 10),
    'cifar100_lt': (100, 10),
    'imagenet_lt': (1000, 20),
    'places_lt': (365, 10),
    'inaturalist2017': (5089, 5),
    'inaturalist2018': (8142, 2),
    # Jamal et al.'s (2020) K of CIFAR, for the Fashion-MNIST-LT benchmark.
    'fashion_mnist_lt': (10, 10),
}
CE = {
    'imagenet_lt':
    ['ce_resnet10_8xb64_imagenet-lt.py', 'ce_resnet50_8xb64_imagenet-lt.py'],
    'places_lt': ['ce_resnet152_8xb32_places-lt.py'],
    'inaturalist2017': ['ce_resnet50_8xb64_inaturalist2017.py'],
    'inaturalist2018': ['ce_resnet50_8xb64_inaturalist2018.py'],
    'tiny_imagenet_lt': ['ce_resnet32_1xb128_tiny-imagenet-lt-r100.py'],
}
CE_CASES = [(ds, name) for ds, names in CE.items() for name in names]


@pytest.mark.parametrize('name', list(DATASETS_K))
def test_dev_variant(name):
    num_classes, k = DATASETS_K[name]
    base = Config.fromfile(osp.join(BASE, f'{name}.py'))
    cfg = Config.fromfile(osp.join(BASE, f'{name}_with_dev.py'))
    assert cfg.data_preprocessor.num_classes == num_classes
    train, dev = cfg.train_dataloader.dataset, cfg.dev_dataloader.dataset
    assert train.dev_per_class == dev.dev_per_class == cfg.dev_per_class == k
    assert (train.get('split', 'train'), dev.split) == ('train', 'dev')
    # Disjoint only if both sides draw D from the same images and seed.
    assert train.dataset == dev.dataset
    assert train.dataset == base.train_dataloader.dataset.dataset
    assert train.get('dev_seed', 0) == dev.dev_seed
    assert 'dev_per_class' not in base.train_dataloader.dataset


@pytest.mark.parametrize(
    'dataset, name', CE_CASES, ids=[n for _, n in CE_CASES])
def test_ce_configs(dataset, name):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'ce', name))
    classes = DATASETS_K.get(dataset, (200, ))[0]
    assert cfg.model.head.num_classes == classes
    assert cfg.data_preprocessor.num_classes == classes
    train = cfg.train_dataloader.dataset
    assert train.type == 'LongTailDataset'
    # The benchmarks that are long-tailed on disk keep every image.
    assert train.profile == ('exp' if dataset == 'tiny_imagenet_lt' else None)
    size = 64 if dataset == 'tiny_imagenet_lt' else 224
    steps = [t.type for t in train.dataset.pipeline]
    assert steps[0] == 'LoadImageFromFile' and 'RandomFlip' in steps
    if size == 224:
        assert train.dataset.pipeline[1] == dict(
            type='RandomResizedCrop', scale=224)
        assert [t.type for t in cfg.test_dataloader.dataset.pipeline] == [
            'LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs'
        ]
        assert cfg.test_dataloader.dataset.pipeline[1].scale == 256
        assert cfg.test_dataloader.dataset.pipeline[2].crop_size == 224
    test_split = dict(imagenet_lt='test', places_lt='test').get(dataset, 'val')
    assert cfg.test_dataloader.dataset.split == test_split
    assert cfg.val_dataloader.dataset.split == 'val'
    assert (cfg.val_evaluator.many_thr, cfg.val_evaluator.few_thr) == (100, 20)


def test_schedules():

    def load(name):
        return Config.fromfile(osp.join(ROOT, 'configs', 'ce', name))

    imagenet = load('ce_resnet50_8xb64_imagenet-lt.py')
    assert imagenet.train_cfg.max_epochs == 200
    assert imagenet.param_scheduler.type == 'CosineAnnealingLR'
    assert imagenet.param_scheduler.end == 200
    assert imagenet.optim_wrapper.optimizer.weight_decay == 5e-4
    inat = load('ce_resnet50_8xb64_inaturalist2018.py')
    assert inat.train_cfg.max_epochs == inat.param_scheduler.end == 90
    places = load('ce_resnet152_8xb32_places-lt.py')
    assert places.param_scheduler.milestones == [10, 20]
    assert places.optim_wrapper.optimizer.lr == 0.01
    assert places.model.backbone.depth == 152
    assert places.model.backbone.init_cfg.type == 'Pretrained'
    resnet10 = load('ce_resnet10_8xb64_imagenet-lt.py')
    assert resnet10.model.backbone.type == 'ResNet10'
    assert resnet10.model.head.in_channels == 512


def test_cifar10_dev_split_before_subsampling(tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar10')
    register_md5(monkeypatch, CIFAR10, write_cifar(root, num_classes=10))
    cfg = Config.fromfile(osp.join(BASE, 'cifar10_lt_with_dev.py'))
    for ds in (cfg.train_dataloader.dataset, cfg.dev_dataloader.dataset):
        ds.dataset.data_root = root
    cfg.train_dataloader.dataset.imbalance_factor = 10
    train = DATASETS.build(cfg.train_dataloader.dataset)
    dev = DATASETS.build(cfg.dev_dataloader.dataset)
    assert dev.class_counts.tolist() == [10] * 10
    # 20 images per class, 10 set aside: the head keeps the other 10.
    assert train.class_counts.tolist() == [
        int(10 * 10**(-i / 9)) for i in range(10)
    ]
    assert not set(train.indices) & set(dev.indices)
    labels = np.concatenate([train.get_gt_labels(), dev.get_gt_labels()])
    assert np.bincount(labels).max() == 20
    assert tuple(dev[0]['inputs'].shape) == (3, 32, 32)
