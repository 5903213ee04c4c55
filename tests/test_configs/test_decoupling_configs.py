# Copyright (c) mmlt contributors. All rights reserved.
"""The CIFAR-LT decoupling configs: each matches its stage-one CE config,
and a cRT stage runs on generated CIFAR-10."""
import os.path as osp
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR10
from mmpretrain.registry import MODELS

import mmlt  # noqa: F401

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_cifar  # noqa: E402
from test_cifar_lt import register_md5  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATASETS = ('cifar10', 'cifar100')
FACTORS = (10, 50, 100, 200)
# Second-stage epochs: Kang et al.'s cRT and LWS stages.
EPOCHS = dict(crt=10, lws=5)
CASES = [(method, ds, imf) for method in ('crt', 'lws', 'tau-norm')
         for ds in DATASETS for imf in FACTORS]


def load(method, ds, imf):
    folder = 'ce' if method == 'ce' else 'decoupling'
    return Config.fromfile(
        osp.join(ROOT, 'configs', folder,
                 f'{method}_resnet32_1xb128_{ds}-lt-r{imf}.py'))


@pytest.mark.parametrize(
    'method, ds, imf', CASES, ids=[f'{m}-{d}-r{i}' for m, d, i in CASES])
def test_matches_stage_one(method, ds, imf):
    cfg, ce = load(method, ds, imf), load('ce', ds, imf)
    # The same long-tailed training set, model and evaluation.
    assert cfg.train_dataloader.dataset == ce.train_dataloader.dataset
    assert cfg.train_dataloader.dataset.imbalance_factor == imf
    assert cfg.model.backbone == ce.model.backbone
    assert cfg.model.head.num_classes == ce.model.head.num_classes
    assert cfg.val_evaluator == ce.val_evaluator
    hooks = [h for h in cfg.custom_hooks if h.type == 'DecoupledStageHook']
    if method == 'tau-norm':
        assert cfg.model.head.type == 'TauNormHead' and not hooks
        assert cfg.train_cfg == ce.train_cfg
        return
    assert cfg.train_dataloader.sampler == dict(type='ClassAwareSampler')
    assert [(h.switch_epoch, h.reinit_head)
            for h in hooks] == [(0, method == 'crt')]
    assert cfg.model.head.type == ('LinearClsHead'
                                   if method == 'crt' else 'LWSHead')
    epochs = EPOCHS[method]
    assert cfg.train_cfg.max_epochs == epochs
    (sched, ) = cfg.param_scheduler
    assert (sched.type, sched.begin, sched.end) == ('CosineAnnealingLR', 0,
                                                    epochs)
    assert cfg.load_from is None


def test_crt_runs_on_generated_cifar10_lt(tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar10')
    register_md5(monkeypatch, CIFAR10, write_cifar(root, num_classes=10))
    ce = load('ce', 'cifar10', 10)
    model = MODELS.build(ce.model)
    model.init_weights()
    ckpt = str(tmp_path / 'epoch_200.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)

    cfg = load('crt', 'cifar10', 10)
    cfg.train_dataloader.dataset.dataset.data_root = root
    # 20, 15, ..., 2 images at IF 10.
    cfg.train_dataloader.dataset.max_count = 20
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False, batch_size=16)
    cfg.val_dataloader.dataset.data_root = root
    cfg.test_dataloader.dataset.data_root = root
    cfg.train_cfg.max_epochs = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.load_from = ckpt
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    runner.train()

    saved = model.state_dict()
    trained = runner.model.state_dict()
    backbone = [k for k in saved if k.startswith('backbone.')]
    assert all(torch.equal(saved[k], trained[k].cpu()) for k in backbone)
    assert not torch.equal(saved['head.fc.weight'],
                           trained['head.fc.weight'].cpu())
    assert type(
        runner.train_dataloader.sampler).__name__ == ('ClassAwareSampler')
