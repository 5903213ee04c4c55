# Copyright (c) mmlt contributors. All rights reserved.
"""GradualScheduleHook on a fake runner and on real tiny runs."""
import logging
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from test_tools.utils import tiny_config
from torch import nn

import mmlt  # noqa: F401
from mmlt.engine.hooks import GradualScheduleHook
from mmlt.models.losses import GradualBalancedLoss

COUNTS = [50, 12, 3]


class Distill(nn.Module):
    """A stand-in for a stage-two loss with a plain float weight."""

    def __init__(self):
        super().__init__()
        self.kd_weight = 0.0


class Head(nn.Module):

    def __init__(self, loss):
        super().__init__()
        self.fc = nn.Linear(2, len(COUNTS))
        self.loss_module = loss


class Model(nn.Module):

    def __init__(self, loss, extra=None):
        super().__init__()
        self.head = Head(loss)
        self.kd = extra if extra is not None else nn.Identity()


def fake_runner(model, epoch=0, max_epochs=5, it=0, max_iters=100):
    logger = logging.getLogger(f'gradual-{uuid.uuid4().hex}')
    logger.propagate = False
    logger.setLevel(logging.INFO)
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    return SimpleNamespace(
        model=model,
        epoch=epoch,
        max_epochs=max_epochs,
        iter=it,
        max_iters=max_iters,
        logger=logger,
        messages=messages,
        message_hub=MessageHub.get_instance(f'gradual-{uuid.uuid4().hex}'))


@pytest.mark.parametrize(
    'form, power, expected',
    [
        # tau_final * s(e / (5 - 1)) at epochs 0..4, computed by hand.
        ('convex', 2.0, [0.0, 0.0625, 0.25, 0.5625, 1.0]),
        ('convex', 3.0, [0.0, 0.015625, 0.125, 0.421875, 1.0]),
        ('linear', 2.0, [0.0, 0.25, 0.5, 0.75, 1.0]),
        ('concave', 2.0, [0.0, 0.4375, 0.75, 0.9375, 1.0]),
    ])
def test_value_at_given_epochs(form, power, expected):
    loss = GradualBalancedLoss(tau_final=1.5, class_counts=COUNTS)
    runner = fake_runner(Model(loss))
    hook = GradualScheduleHook(form=form, power=power)
    hook.before_train(runner)
    for epoch, value in enumerate(expected):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        hook.before_train_iter(runner, 0)
        assert loss.tau.item() == pytest.approx(1.5 * value)
        assert runner.message_hub.get_scalar('train/tau').current() == \
            pytest.approx(1.5 * value)
    # One log line per epoch, naming the target.
    lines = [m for m in runner.messages if 'GradualScheduleHook' in m]
    assert len(lines) == 5 and 'model.head.loss_module' in lines[0]


def test_resumed_process_gets_the_epochs_value():
    # Stateless: a new hook starting at epoch 3 (a resumed process) sets the
    # value an uninterrupted run has at epoch 3, whatever the buffer held.
    loss = GradualBalancedLoss(class_counts=COUNTS)
    loss.set_tau(0.9)
    runner = fake_runner(Model(loss), epoch=3, max_epochs=5)
    GradualScheduleHook().before_train(runner)
    assert loss.tau.item() == pytest.approx(0.5625)


def test_by_iteration_with_begin_end():
    loss = GradualBalancedLoss(class_counts=COUNTS)
    runner = fake_runner(Model(loss), max_iters=100)
    hook = GradualScheduleHook(by_epoch=False, form='linear', begin=10, end=21)
    hook.before_train(runner)
    for it, value in [(0, 0.0), (10, 0.0), (15, 0.5), (20, 1.0), (99, 1.0)]:
        runner.iter = it
        hook.before_train_epoch(runner)  # no effect by iteration
        hook.before_train_iter(runner, it)
        assert loss.tau.item() == pytest.approx(value)
        assert runner.message_hub.get_scalar('train/tau').current() == \
            pytest.approx(value)


def test_generic_target_by_path_with_final():
    # Stage two's use: a float attribute of another module, by path.
    kd = Distill()
    runner = fake_runner(
        Model(nn.CrossEntropyLoss(), kd), epoch=2, max_epochs=3)
    hook = GradualScheduleHook(
        targets='kd',
        attr='kd_weight',
        final=0.8,
        form='linear',
        log_name='kd_weight')
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert kd.kd_weight == pytest.approx(0.8)
    assert runner.message_hub.get_scalar('train/kd_weight').current() == \
        pytest.approx(0.8)


def test_finds_every_target_of_the_type():
    a, b = GradualBalancedLoss(tau_final=1.0), GradualBalancedLoss(
        tau_final=0.5)
    runner = fake_runner(Model(a, b), epoch=4, max_epochs=5)
    GradualScheduleHook().before_train(runner)
    assert a.tau.item() == 1.0 and b.tau.item() == 0.5


def test_one_epoch_run_uses_the_final_value():
    loss = GradualBalancedLoss(class_counts=COUNTS)
    runner = fake_runner(Model(loss), max_epochs=1)
    GradualScheduleHook().before_train(runner)
    assert loss.tau.item() == 1.0


def test_missing_target_fails_clearly():
    runner = fake_runner(Model(nn.CrossEntropyLoss()))
    with pytest.raises(
            RuntimeError,
            match="no module of type "
            "'GradualBalancedLoss'.*targets"):
        GradualScheduleHook().before_train(runner)
    runner = fake_runner(Model(nn.CrossEntropyLoss(), Distill()))
    with pytest.raises(RuntimeError, match='kd_weight_final.*final='):
        GradualScheduleHook(
            targets='kd', attr='kd_weight').before_train(runner)
    with pytest.raises(RuntimeError, match='no attribute `alpha`'):
        GradualScheduleHook(
            targets='kd', attr='alpha', final=1.0).before_train(runner)


def test_warns_when_the_schedule_does_not_fit():
    runner = fake_runner(
        Model(GradualBalancedLoss(class_counts=COUNTS)), max_epochs=5)
    runner.logger.warning = runner.messages.append
    GradualScheduleHook(end=8).before_train(runner)
    assert any('does not fit' in m for m in runner.messages)


@pytest.mark.parametrize('kwargs', [
    dict(form='exp'),
    dict(power=0.5),
    dict(targets=[]),
    dict(targets=3),
    dict(attr='a.b'),
    dict(begin=-1),
    dict(begin=3, end=3),
    dict(end=2.5),
    dict(final=float('nan')),
])
def test_bad_arguments(kwargs):
    with pytest.raises((ValueError, TypeError)):
        GradualScheduleHook(**kwargs)


# -------------------------------------------------------- real runs -------

GRALOSS = """
model = dict(head=dict(loss=dict(
    _delete_=True, type='GradualBalancedLoss', tau_final=1.0)))
custom_hooks = _base_.custom_hooks + [
    dict(type='GradualScheduleHook', form='convex', power=2.0)]
randomness = dict(seed=0, deterministic=True)
"""


class TauRecorder(Hook):
    """The loss's tau and the logged scalar at the first step of each
    epoch, and every iteration's loss."""

    priority = 'LOWEST'

    def __init__(self):
        self.tau, self.logged, self.losses = {}, {}, {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0:
            self.tau[runner.epoch] = \
                runner.model.head.loss_module.tau.item()
            self.logged[runner.epoch] = runner.message_hub.get_scalar(
                'train/tau').current()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.setdefault(runner.epoch, []).append(outputs['loss'].item())


def train(tmp_path, data_root, epochs=3, **options):
    path = tiny_config(
        tmp_path, data_root, name='graloss.py', epochs=epochs, extra=GRALOSS)
    cfg = Config.fromfile(path)
    # No random augmentation: the global RNG of the transforms is not in
    # the checkpoint, and the resumed losses are compared exactly.
    options['train_dataloader.dataset.dataset.pipeline'] = [
        dict(type='PackInputs')
    ]
    options['train_cfg.val_interval'] = 10  # no validation: faster
    cfg.merge_from_dict(options)
    cfg.setdefault('work_dir', str(tmp_path / 'work'))
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    recorder = TauRecorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


@pytest.fixture(scope='module')
def graloss_run(tmp_path_factory, fmnist_root):
    tmp = tmp_path_factory.mktemp('graloss')
    return tmp, train(tmp, fmnist_root)


def test_real_run_schedules_and_checkpoints_tau(graloss_run):
    tmp, (_, rec) = graloss_run
    expected = {0: 0.0, 1: 0.25, 2: 1.0}  # (e / 2)^2
    assert rec.tau == pytest.approx(expected)
    assert rec.logged == pytest.approx(expected)
    for epoch in (1, 2, 3):
        saved = torch.load(
            osp.join(tmp, 'work', f'epoch_{epoch}.pth'),
            map_location='cpu',
            weights_only=False)
        # The value the last finished epoch trained with.
        assert saved['state_dict']['head.loss_module.tau'].item() == \
            pytest.approx(expected[epoch - 1])


def test_real_run_resumed_continues_exactly(graloss_run, fmnist_root):
    tmp, (_, rec) = graloss_run
    ckpt = osp.join(tmp, 'work', 'epoch_1.pth')
    _, resumed = train(
        tmp,
        fmnist_root,
        resume=True,
        load_from=ckpt,
        work_dir=str(tmp / 'resumed'))
    assert list(resumed.tau) == [1, 2]
    assert resumed.tau == pytest.approx({1: 0.25, 2: 1.0})
    assert resumed.logged == pytest.approx({1: 0.25, 2: 1.0})
    for epoch in (1, 2):
        assert resumed.losses[epoch] == pytest.approx(
            rec.losses[epoch], rel=1e-4)
