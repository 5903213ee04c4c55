# Copyright (c) mmlt contributors. All rights reserved.
"""Every Fashion-MNIST-LT method config trains one iteration.

In-process runners on the generated Fashion-MNIST (79 training images at IF
10, one batch), without validation (except GLAG's adaptive confidence,
which needs it): the configs' losses, heads, hooks and samplers build and
take a step with the counts ``ClassCountsHook`` hands them.
"""
import glob
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# The methods' configs; configs/ce and configs/decoupling have their own
# end-to-end tests.
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '*', '*_fashion-mnist-lt-r100.py'))
    if osp.basename(osp.dirname(p)) not in ('_base_', 'ce', 'decoupling'))


class StepRecorder(Hook):
    """Logged losses and the parameters that moved."""
    priority = 'LOWEST'

    def __init__(self):
        self.losses = []
        self.before = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self.before is None:
            self.before = {
                k: v.detach().clone()
                for k, v in runner.model.named_parameters()
            }

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())


def tiny(cfg, data_root, work_dir):
    """One batch of the generated data, one epoch, no validation (but for
    the adaptive confidence, which needs it)."""
    cfg.train_dataloader.dataset.imbalance_factor = 10
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    if cfg.get('dev_dataloader'):  # meta-learning's development split
        cfg.dev_dataloader.dataset.dataset.data_root = data_root
    # 79 images at IF 10: one iteration.
    cfg.train_dataloader.update(
        batch_size=128, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    if any(
            h.get('type') == 'AdaptiveConfidenceHook'
            for h in cfg.get('custom_hooks', [])):
        # GLAG's adaptive confidence needs validation after every epoch: on
        # the development split of the (generated) training pool.
        cfg.val_dataloader.dataset.dataset.data_root = data_root
        cfg.train_cfg.update(val_interval=1)
    else:
        for key in ('val_dataloader', 'val_evaluator', 'val_cfg'):
            cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = work_dir
    # Runners of one process must not share logger and message hub.
    cfg.experiment_name = uuid.uuid4().hex
    return cfg


@pytest.fixture(scope='module')
def stage_one_checkpoint(tmp_path_factory):
    """An untrained ResNet-8 CE model's weights, for second-stage
    configs."""
    cfg = Config.fromfile(
        osp.join(ROOT,
                 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('stage1') / 'epoch_6.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_every_method_has_a_config():
    methods = {osp.basename(osp.dirname(p)) for p in CONFIGS}
    assert {
        'cb', 'cb-inverse', 'cb-focal', 'focal', 'ghm', 'eql', 'seesaw',
        'ldam-drw', 'ce-drw', 'balanced-softmax', 'logit-adjustment', 'mislas'
    } <= methods


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_method_config_trains_one_iteration(path, fmnist_root, tmp_path,
                                            stage_one_checkpoint):
    cfg = tiny(Config.fromfile(path), fmnist_root, str(tmp_path))
    # Second stages (they switch before the first epoch) need the first
    # stage's checkpoint (load_from).
    second_stage = any(
        h.get('type') == 'DecoupledStageHook' and h.get('switch_epoch') == 0
        for h in cfg.custom_hooks)
    if second_stage:
        cfg.load_from = stage_one_checkpoint
    runner = Runner.from_cfg(cfg)
    recorder = StepRecorder()
    runner.register_hook(recorder)
    runner.train()

    assert runner.iter == 1 and len(recorder.losses) == 1
    assert torch.isfinite(torch.tensor(recorder.losses)).all()
    moved = {
        k
        for k, v in runner.model.named_parameters()
        if not torch.equal(v, recorder.before[k])
    }
    assert any(k.startswith('head.') for k in moved), moved
    if second_stage:
        # Only the classifier trains in the second stage.
        assert all(k.startswith('head.') for k in moved), moved
    else:
        assert any(k.startswith('backbone.') for k in moved), moved
