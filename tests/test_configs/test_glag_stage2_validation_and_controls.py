# Copyright (c) mmlt contributors. All rights reserved.
"""GLAG stage two: lambda never adapts on a test set, and the control
configs are what their names say."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGE2 = sorted(glob.glob(osp.join(ROOT, 'configs/glag/glag-stage2*.py')))


def _hooks(cfg):
    return [h['type'] for h in cfg.custom_hooks]


def _data(loader):
    """The dataset config under any LongTailDataset wrapper."""
    dataset = loader['dataset']
    return dataset.get(
        'dataset',
        dataset) if dataset.get('type') == 'LongTailDataset' else dataset


@pytest.mark.parametrize('path', STAGE2, ids=osp.basename)
def test_adaptive_confidence_never_reads_the_test_set(path):
    cfg = Config.fromfile(path)
    if 'AdaptiveConfidenceHook' not in _hooks(cfg):
        return
    val, test = cfg.val_dataloader, cfg.test_dataloader
    val_data = _data(val)
    # Not the test set ...
    assert val_data != _data(test), path
    if val.dataset.get('type') == 'LongTailDataset':
        # ... but a development split of the training pool.
        assert val.dataset.split == 'dev' and val.dataset.dev_per_class > 0
        train_data = _data(cfg.train_dataloader)
        for key in ('type', 'data_root'):
            assert val_data[key] == train_data[key], (path, key)
        for key in ('split', 'test_mode', 'year'):
            assert val_data.get(key) == train_data.get(key), (path, key)
        # With the test pipeline (no training augmentation).
        assert val_data.pipeline == cfg.test_dataloader.dataset.get(
            'pipeline',
            test.dataset.get('dataset', {}).get('pipeline'))
    else:
        # ImageNet-LT: its own validation list, not the test list.
        assert val_data.split == 'val' and _data(test).split == 'test'


def test_cifar_and_inaturalist_validate_on_a_development_split():
    for name in ('glag-stage2_resnet32_1xb128_cifar100-lt-r100.py',
                 'glag-stage2_resnet32_1xb128_cifar100-lt-r10.py',
                 'glag-stage2_resnet50_8xb64_inaturalist2018.py'):
        cfg = Config.fromfile(osp.join(ROOT, 'configs/glag', name))
        assert cfg.val_dataloader.dataset.type == 'LongTailDataset', name
        assert cfg.val_dataloader.dataset.split == 'dev', name


def _head(name):
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/glag',
                 f'{name}_resnet8_1xb128_fashion-mnist-lt-r100.py'))
    return cfg.model.head, _hooks(cfg), cfg


def test_control_configs():
    glag, glag_hooks, glag_cfg = _head('glag-stage2')
    assert 'AdaptiveConfidenceHook' in glag_hooks
    zero, hooks, cfg = _head('glag-stage2-lambda0')
    assert zero.confidence == 0.0 and zero.mean_transfer == 'interpolate'
    assert zero.alpha == 0.0 and zero.kd_weight == glag.kd_weight
    assert 'AdaptiveConfidenceHook' not in hooks
    nogen, hooks, cfg = _head('glag-stage2-nogen')
    assert nogen.generated_ratio == 0.0 and nogen.kd_weight == glag.kd_weight
    assert 'AdaptiveConfidenceHook' not in hooks
    assert 'GradualScheduleHook' in hooks
    bare, hooks, cfg = _head('glag-stage2-nogen-nokd')
    assert bare.generated_ratio == 0.0 and bare.kd_weight == 0.0
    # Same schedule and length as GLAG's stage two.
    for name in ('glag-stage2-lambda0', 'glag-stage2-nogen',
                 'glag-stage2-nogen-nokd'):
        cfg = _head(name)[2]
        assert cfg.train_cfg.max_epochs == glag_cfg.train_cfg.max_epochs
        assert cfg.param_scheduler == glag_cfg.param_scheduler
        assert cfg.optim_wrapper == glag_cfg.optim_wrapper
