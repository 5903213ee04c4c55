# Copyright (c) mmlt contributors. All rights reserved.
"""Every config loads, builds its model and runs a forward pass."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
FMNIST_ROOT = osp.join(ROOT, 'data', 'fashion_mnist')


def input_shape(cfg):
    inner = cfg.train_dataloader.dataset
    inner = inner.get('dataset', inner)
    return (1, 28, 28) if 'MNIST' in inner.type else (3, 32, 32)


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'mmlt' in cfg.custom_imports.imports
    num_classes = cfg.model.head.num_classes
    assert cfg.data_preprocessor.num_classes == num_classes
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[key].dataset
        assert DATASETS.get(dataset.type) is not None, dataset.type
    assert cfg.train_dataloader.dataset.type == 'LongTailDataset'
    # Evaluation data stays balanced: never wrapped, except a validation on
    # the balanced development split of the training pool (GLAG's adaptive
    # confidence); the test set is never wrapped.
    val = cfg.val_dataloader.dataset
    assert val.type != 'LongTailDataset' or val.get('split') == 'dev'
    assert cfg.test_dataloader.dataset.type != 'LongTailDataset'
    assert cfg.val_evaluator.type == 'LongTailMetric'

    model = MODELS.build(cfg.model)
    inputs = torch.rand(2, *input_shape(cfg))
    with torch.no_grad():
        scores = model(inputs, mode='tensor')
    assert scores.shape == (2, num_classes)


@pytest.mark.skipif(
    not osp.isdir(FMNIST_ROOT), reason='run `make data` for Fashion-MNIST')
def test_real_fashion_mnist_lt():
    cfg = Config.fromfile(
        osp.join(ROOT,
                 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'))
    cfg.train_dataloader.dataset.dataset.data_root = FMNIST_ROOT
    cfg.val_dataloader.dataset.data_root = FMNIST_ROOT
    train = DATASETS.build(cfg.train_dataloader.dataset)
    assert train.class_counts.tolist() == [
        6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60
    ]
    test = DATASETS.build(cfg.val_dataloader.dataset)
    assert np.bincount(test.get_gt_labels()).tolist() == [1000] * 10
