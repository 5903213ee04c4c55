# Copyright (c) mmlt contributors. All rights reserved.
import math
import os.path as osp
import uuid
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import IterBasedTrainLoop, Runner
from mmpretrain.registry import MODELS

import mmlt  # noqa: F401
from mmlt.engine.hooks import AdaptiveConfidenceHook, update_confidence
from mmlt.engine.hooks.adaptive_confidence_hook import \
    check_validation_every_epoch

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def test_update_confidence_moves_in_the_right_direction():
    lam = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.98, 0.02])
    prev = torch.tensor([0.3, 0.3, 0.3, math.nan, 0.1, 0.9])
    acc = torch.tensor([0.4, 0.2, 0.3, 0.5, 0.2, 0.1])
    new = update_confidence(lam, acc, prev, 0.05)
    # Improved: up; worse: down; same or unknown: kept; clipped to [0, 1].
    assert torch.allclose(new, torch.tensor([0.55, 0.45, 0.5, 0.5, 1.0, 0.0]))
    mask = torch.tensor([True, False, True, True, True, True])
    assert new[1] != update_confidence(lam, acc, prev, 0.05, mask)[1]
    with pytest.raises(ValueError, match='step'):
        update_confidence(lam, acc, prev, -0.1)


def _runner(head, recalls):
    metric = SimpleNamespace(last_per_class=dict(recall=recalls))
    hub = mock.MagicMock()
    return SimpleNamespace(
        model=SimpleNamespace(head=head),
        val_evaluator=SimpleNamespace(metrics=[metric]),
        message_hub=hub,
        logger=mock.MagicMock())


def test_hook_updates_tail_classes_and_logs():
    head = MODELS.build(
        dict(
            type='AdaptiveFeatureGeneratorHead',
            num_classes=4,
            in_channels=3,
            k=1,
            tail_max_count=50,
            class_counts=[100, 50, 20, 5],
            confidence=0.6))
    hook = AdaptiveConfidenceHook(step=0.1)
    # First validation: only recorded.
    hook.after_val_epoch(_runner(head, [90.0, 50.0, 20.0, 10.0]))
    assert torch.allclose(head.confidence, torch.full((4, ), 0.6))
    assert torch.allclose(head.prev_class_acc,
                          torch.tensor([0.9, 0.5, 0.2, 0.1]))
    runner = _runner(head, [80.0, 60.0, 10.0, None])
    hook.after_val_epoch(runner)
    # Class 0 is a head class (not updated); 1 up, 2 down, 3 unknown.
    assert torch.allclose(head.confidence, torch.tensor([0.6, 0.7, 0.5, 0.6]))
    names = [c.args[0] for c in runner.message_hub.update_scalar.mock_calls]
    assert names == [
        'afg/confidence_mean', 'afg/confidence_min', 'afg/confidence_max'
    ]
    with pytest.raises(ValueError, match='step'):
        AdaptiveConfidenceHook(step=2)
    with pytest.raises(RuntimeError, match='LongTailMetric'):
        hook.after_val_epoch(
            SimpleNamespace(
                model=SimpleNamespace(head=head),
                val_evaluator=SimpleNamespace(metrics=[])))


def _loop(val_interval=1, val_begin=1, dynamic_intervals=None):
    """The attributes of mmengine's EpochBasedTrainLoop that matter."""
    return SimpleNamespace(
        val_interval=val_interval,
        val_begin=val_begin,
        dynamic_intervals=dynamic_intervals or [val_interval])


def test_check_validation_every_epoch():
    val = object()
    check_validation_every_epoch(_loop(), val)  # every epoch: fine
    # No validation (--no-validate): AD would silently never run.
    with pytest.raises(RuntimeError) as error:
        check_validation_every_epoch(_loop(), None)
    for words in ('no validation loop', '--no-validate', '-noad'):
        assert words in str(error.value)
    # Sparser validation: one lambda step would span several epochs.
    with pytest.raises(RuntimeError, match='val_interval=2'):
        check_validation_every_epoch(_loop(val_interval=2), val)
    with pytest.raises(RuntimeError, match='val_begin=3'):
        check_validation_every_epoch(_loop(val_begin=3), val)
    with pytest.raises(RuntimeError, match=r'dynamic intervals \[1, 5\]'):
        check_validation_every_epoch(_loop(dynamic_intervals=[1, 5]), val)
    # Iteration-based loops validate by iterations, not epochs.
    with pytest.raises(RuntimeError, match='epoch-based'):
        check_validation_every_epoch(object.__new__(IterBasedTrainLoop), val)


def test_run_without_validation_fails_before_training(fmnist_root, tmp_path):
    """The Fashion-MNIST GLAG config trained like `tools/train.py
    --no-validate` stops before the statistics pass and any step."""
    stage1 = Config.fromfile(
        osp.join(ROOT, 'configs/ce/'
                 'ce_resnet8_1xb128_fashion-mnist-lt-r100.py'))
    model = MODELS.build(stage1.model)
    ckpt = str(tmp_path / 'stage1.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    cfg = Config.fromfile(
        osp.join(
            ROOT, 'configs/glag/'
            'glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py'))
    cfg.train_dataloader.dataset.imbalance_factor = 10
    cfg.train_dataloader.dataset.dataset.data_root = fmnist_root
    # What tools/train.py --no-validate does.
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(tmp_path / 'run')
    cfg.load_from = ckpt
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    with pytest.raises(RuntimeError, match='no validation loop'):
        runner.train()
    assert runner.iter == 0 and not runner.model.head.stats_ready


def test_reference_validation_before_the_first_epoch():
    head = MODELS.build(
        dict(
            type='AdaptiveFeatureGeneratorHead',
            num_classes=4,
            in_channels=3,
            k=1,
            tail_max_count=50,
            class_counts=[100, 50, 20, 5],
            confidence=0.6))
    hook = AdaptiveConfidenceHook(step=0.1)
    runner = _runner(head, [90.0, 50.0, 20.0, 10.0])
    runner.epoch = 0
    runner.val_loop = mock.MagicMock()
    # The validation calls after_val_epoch, which records the reference.
    runner.val_loop.run.side_effect = lambda: hook.after_val_epoch(runner)
    # A stage-two checkpoint's accuracies (load_from) are not the
    # reference of a new stage.
    head.prev_class_acc.fill_(0.3)
    head.confidence_epoch.fill_(5)
    runner.train_loop = _loop()
    hook.before_train(runner)
    assert torch.isnan(head.prev_class_acc).all()
    hook.before_train_epoch(runner)
    runner.val_loop.run.assert_called_once()
    assert torch.allclose(head.prev_class_acc,
                          torch.tensor([0.9, 0.5, 0.2, 0.1]))
    assert torch.allclose(head.confidence, torch.full((4, ), 0.6))
    # Once only; the first epoch's validation then takes a step.
    hook.before_train_epoch(runner)
    runner.val_loop.run.assert_called_once()
    runner.epoch = 1
    hook.after_val_epoch(_runner(head, [80.0, 60.0, 10.0, 10.0]))
    assert torch.allclose(head.confidence, torch.tensor([0.6, 0.7, 0.5, 0.6]))
    # 'first_epoch': the old behaviour, no validation before training.
    old = AdaptiveConfidenceHook(reference='first_epoch')
    runner.epoch = 0
    old.before_train_epoch(runner)
    runner.val_loop.run.assert_called_once()
    with pytest.raises(ValueError, match='reference'):
        AdaptiveConfidenceHook(reference='test')


def test_unchanged_accuracy_keeps_lambda():
    """Recalls such as 10% are not exact in the float32 record: comparing
    the float64 recall with it moved lambda although nothing changed."""
    head = MODELS.build(
        dict(
            type='AdaptiveFeatureGeneratorHead',
            num_classes=4,
            in_channels=3,
            k=1,
            tail_max_count=50,
            class_counts=[100, 50, 20, 5],
            confidence=0.6))
    hook = AdaptiveConfidenceHook(step=0.1)
    recalls = [90.0, 30.0, 70.0, 10.0]
    hook.after_val_epoch(_runner(head, recalls))
    hook.after_val_epoch(_runner(head, recalls))
    assert torch.allclose(head.confidence, torch.full((4, ), 0.6))
