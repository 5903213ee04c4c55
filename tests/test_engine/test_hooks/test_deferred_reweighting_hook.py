# Copyright (c) mmlt contributors. All rights reserved.
"""DeferredReweightingHook on a fake runner and on real tiny runs."""
import logging
import os.path as osp
import uuid
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from test_tools.utils import tiny_config
from torch import nn

import mmlt  # noqa: F401
from mmlt.engine.hooks import DeferredReweightingHook
from mmlt.models.losses import LDAMLoss, ReweightedCrossEntropyLoss

COUNTS = np.array([500, 120, 30, 7])


def np_effective_weights(counts, beta):
    w = (1 - beta) / (1 - np.power(beta, counts.astype(np.float64)))
    return w / w.sum() * len(counts)


class Head(nn.Module):

    def __init__(self, loss):
        super().__init__()
        self.fc = nn.Linear(2, len(COUNTS))
        self.loss_module = loss


class Model(nn.Module):

    def __init__(self, *losses):
        super().__init__()
        self.head = Head(losses[0])
        # A second re-weightable loss elsewhere in the model.
        self.aux = nn.ModuleList(losses[1:])


class ListHandler(logging.Handler):

    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def fake_runner(model, epoch=0, max_epochs=200):
    logger = logging.getLogger(f'drw-{uuid.uuid4().hex}')
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = ListHandler()
    logger.addHandler(handler)
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        max_epochs=max_epochs,
        logger=logger,
        messages=handler.messages)


@pytest.mark.parametrize('beta', [0.999, 0.9999])
def test_switches_exactly_at_drw_epoch(beta):
    ldam = LDAMLoss(class_counts=COUNTS)
    ce = ReweightedCrossEntropyLoss(class_counts=COUNTS)
    runner = fake_runner(Model(ldam, ce))
    hook = DeferredReweightingHook(drw_epoch=160, beta=beta)
    hook.before_train(runner)

    for epoch in (0, 159):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        for loss in (ldam, ce):
            np.testing.assert_array_equal(loss.class_weight.numpy(),
                                          np.ones(len(COUNTS)))
    expected = np_effective_weights(COUNTS, beta)
    for epoch in (160, 199):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        for loss in (ldam, ce):
            np.testing.assert_allclose(
                loss.class_weight.numpy(), expected, rtol=1e-6)
            assert loss.class_weight.sum().item() == pytest.approx(len(COUNTS))
    # Rarer classes weigh more.
    assert np.all(np.diff(expected) > 0)


def test_logs_the_switch_once():
    runner = fake_runner(Model(LDAMLoss(class_counts=COUNTS)))
    hook = DeferredReweightingHook(drw_epoch=3)
    for epoch in range(6):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
    switches = [m for m in runner.messages if 'effective-number' in m]
    assert len(switches) == 1 and 'at epoch 3' in switches[0]
    assert 'model.head.loss_module' in switches[0]
    uniform = [m for m in runner.messages if 'uniform weights' in m]
    assert len(uniform) == 1 and 'until epoch 3' in uniform[0]


def test_resumed_process_gets_the_epochs_weights():
    # Stateless: a new hook (a resumed process) starting past drw_epoch sets
    # the re-weighted weights at once, without seeing the switch.
    loss = ReweightedCrossEntropyLoss(class_counts=COUNTS)
    runner = fake_runner(Model(loss), epoch=170)
    hook = DeferredReweightingHook(drw_epoch=160, beta=0.9999)
    hook.before_train_epoch(runner)
    np.testing.assert_allclose(
        loss.class_weight.numpy(),
        np_effective_weights(COUNTS, 0.9999),
        rtol=1e-6)
    assert any('at epoch 170: effective-number' in m for m in runner.messages)


def test_needs_a_reweightable_loss():
    runner = fake_runner(Model(nn.CrossEntropyLoss()))
    with pytest.raises(RuntimeError, match='LDAMLoss or'):
        DeferredReweightingHook().before_train(runner)


def test_loss_without_counts_fails_clearly():
    runner = fake_runner(Model(LDAMLoss()))
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        DeferredReweightingHook().before_train_epoch(runner)


def test_warns_when_it_never_switches():
    runner = fake_runner(Model(LDAMLoss(class_counts=COUNTS)), max_epochs=100)
    runner.logger.warning = lambda msg: runner.messages.append(msg)
    DeferredReweightingHook(drw_epoch=160).before_train(runner)
    assert any('never re-weights' in m for m in runner.messages)


@pytest.mark.parametrize('kwargs', [
    dict(drw_epoch=-1),
    dict(drw_epoch=1.5),
    dict(beta=1.0),
    dict(beta=-0.1),
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        DeferredReweightingHook(**kwargs)


# -------------------------------------------------------- real runs -------

DRW_CE = """
model = dict(head=dict(loss=dict(
    _delete_=True, type='ReweightedCrossEntropyLoss')))
custom_hooks = _base_.custom_hooks + [
    dict(type='DeferredReweightingHook', drw_epoch={drw_epoch})]
# Same order and augmentations in both runs.
randomness = dict(seed=0, deterministic=True)
"""


class LossRecorder(Hook):
    """The logged loss of every iteration and the loss's weights at the
    first step of each epoch."""

    def __init__(self):
        self.losses, self.weights = {}, {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0:
            loss = runner.model.head.loss_module
            self.weights[runner.epoch] = loss.class_weight.cpu().clone()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.setdefault(runner.epoch, []).append(outputs['loss'].item())


def train(tmp_path, data_root, drw_epoch, epochs=2, **options):
    path = tiny_config(
        tmp_path,
        data_root,
        name=f'drw{drw_epoch}.py',
        epochs=epochs,
        extra=DRW_CE.format(drw_epoch=drw_epoch))
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    cfg.setdefault('work_dir', str(tmp_path / f'work{drw_epoch}'))
    # Runners of one process must not share logger and message hub.
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


@pytest.fixture(scope='module')
def drw_runs(tmp_path_factory, fmnist_root):
    """Two 2-epoch runs: re-weighted from epoch 1, and never."""
    tmp = tmp_path_factory.mktemp('drw')
    switched = train(tmp, fmnist_root, drw_epoch=1)
    plain = train(tmp, fmnist_root, drw_epoch=2)
    return tmp, switched, plain


def test_real_run_switches_the_loss(drw_runs):
    _, (runner, rec), (_, plain) = drw_runs
    counts = runner.model.head.loss_module.get_class_counts().numpy()
    np.testing.assert_array_equal(rec.weights[0].numpy(), np.ones(10))
    np.testing.assert_allclose(
        rec.weights[1].numpy(),
        np_effective_weights(counts, 0.9999),
        rtol=1e-6)
    # Identical until the switch, different from it on.
    np.testing.assert_allclose(rec.losses[0], plain.losses[0], rtol=1e-5)
    assert not np.allclose(rec.losses[1], plain.losses[1], rtol=1e-3)
    np.testing.assert_array_equal(plain.weights[1].numpy(), np.ones(10))


def test_real_run_resumed_after_the_switch(drw_runs, fmnist_root):
    tmp, (_, rec), _ = drw_runs
    ckpt = osp.join(tmp, 'work1', 'epoch_1.pth')
    # The weights are not in the checkpoint: derived from the epoch.
    saved = torch.load(ckpt, map_location='cpu')
    assert not any('class_weight' in k for k in saved['state_dict'])
    _, resumed = train(
        tmp,
        fmnist_root,
        drw_epoch=1,
        epochs=2,
        resume=True,
        load_from=ckpt,
        work_dir=str(tmp / 'resumed'))
    assert list(resumed.weights) == [1]
    torch.testing.assert_close(resumed.weights[1], rec.weights[1])
