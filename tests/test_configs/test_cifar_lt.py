# Copyright (c) mmlt contributors. All rights reserved.
"""CIFAR-LT configs on generated archives in the official format."""
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR10, CIFAR100
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_cifar  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def register_md5(monkeypatch, cls, md5):
    """mmpretrain checks the md5 of the real files; use the generated ones'."""
    for attr in ('train_list', 'test_list'):
        monkeypatch.setattr(cls, attr, [[name, md5[name]]
                                        for name, _ in getattr(cls, attr)])
    monkeypatch.setattr(cls, 'meta',
                        dict(cls.meta, md5=md5[cls.meta['filename']]))


def cifar_cfg(name, data_root, work_dir):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/ce', name))
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.train_dataloader.dataset.max_count = 20
    cfg.train_dataloader.dataset.imbalance_factor = 10
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False, batch_size=16)
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader.dataset.data_root = data_root
    cfg.work_dir = work_dir
    return cfg


def test_cifar10_lt_trains_and_tests(tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar10')
    register_md5(monkeypatch, CIFAR10, write_cifar(root, num_classes=10))
    cfg = cifar_cfg('ce_resnet32_1xb128_cifar10-lt-r100.py', root,
                    str(tmp_path / 'work'))
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert train.class_counts.tolist() == [
        int(20 * 10**(-i / 9)) for i in range(10)
    ]
    assert train[0]['inputs'].shape == (3, 32, 32)

    cfg.model.backbone.depth = 8
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    # 20 images at most: no class has Many (> 100) images.
    assert {'long-tail/top1', 'long-tail/medium', 'long-tail/few'
            } <= set(metrics)
    assert 'long-tail/many' not in metrics


def test_cifar100_lt_counts(tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar100')
    register_md5(monkeypatch, CIFAR100,
                 write_cifar(root, num_classes=100, train_per_class=10))
    cfg = cifar_cfg('ce_resnet32_1xb128_cifar100-lt-r50.py', root,
                    str(tmp_path / 'work'))
    cfg.train_dataloader.dataset.max_count = 10
    train = DATASETS.build(cfg.train_dataloader.dataset)
    expected = [int(10 * 10**(-i / 99)) for i in range(100)]
    assert train.class_counts.tolist() == expected
    test = DATASETS.build(cfg.test_dataloader.dataset)
    assert np.bincount(test.get_gt_labels()).tolist() == [5] * 100


def test_missing_cifar_data_root(tmp_path):
    cfg = cifar_cfg('ce_resnet32_1xb128_cifar10-lt-r100.py',
                    str(tmp_path / 'absent'), str(tmp_path / 'work'))
    with pytest.raises(FileNotFoundError, match='dataset.data_root'):
        DATASETS.build(cfg.train_dataloader.dataset)
