# Copyright (c) mmlt contributors. All rights reserved.
import csv
import json
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from mmpretrain.evaluation import Accuracy
from mmpretrain.registry import HOOKS

from mmlt.evaluation.metrics import LongTailMetric

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def evaluated_metric():
    """A LongTailMetric after one evaluation on 3 classes: recalls 75, 50,
    0 for training counts 500, 50, 5."""
    metric = LongTailMetric(class_counts=[500, 50, 5])
    metric.dataset_meta = dict(classes=('cat', 'dog', 'emu'))
    targets = [0, 0, 0, 0, 1, 1, 2, 2]
    preds = [0, 0, 0, 1, 1, 0, 0, 1]
    metric.process(None, [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([t]))
        for p, t in zip(preds, targets)
    ])
    metric.evaluate(len(targets))
    return metric


class RecordingVisualizer:
    """Records ``add_image`` calls like a visualizer's backends would."""

    def __init__(self):
        self.images = []

    def add_image(self, name, image, step=0):
        self.images.append((name, image, step))


def fake_runner(log_dir, metrics, epoch=3):
    evaluator = SimpleNamespace(metrics=metrics)
    return SimpleNamespace(
        log_dir=str(log_dir),
        epoch=epoch,
        iter=epoch * 10,
        val_evaluator=evaluator,
        test_evaluator=evaluator,
        visualizer=RecordingVisualizer(),
        logger=MMLogger.get_instance('test_per_class_recall_hook'))


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_after_val_epoch(tmp_path):
    hook = HOOKS.build(dict(type='PerClassRecallHook'))
    # Accuracy has no per-class table and is skipped.
    runner = fake_runner(tmp_path, [Accuracy(), evaluated_metric()])
    hook.after_val_epoch(runner, metrics={})

    out_dir = tmp_path / 'per_class'
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'val_epoch_3.csv', 'val_epoch_3.json'
    ]
    record = json.loads((out_dir / 'val_epoch_3.json').read_text())
    assert record['split'] == 'val'
    assert (record['epoch'], record['iter']) == (3, 30)
    assert record['metric'] == 'LongTailMetric'
    assert record['prefix'] == 'long-tail'
    assert record['groups'] == dict(
        many_thr=100, few_thr=20, rare_thr=None, index_boundaries=None)
    metrics = record['metrics']
    assert metrics['top1'] == pytest.approx(50.0)  # 4 of 8
    assert (metrics['many'], metrics['medium'], metrics['few']) == (75, 50, 0)
    assert metrics['zero_recall_classes'] == 1
    assert record['per_class'] == [
        dict(
            class_index=0,
            train_count=500,
            support=4,
            recall=75.0,
            group='many',
            **{'class': 'cat'}),
        dict(
            class_index=1,
            train_count=50,
            support=2,
            recall=50.0,
            group='medium',
            **{'class': 'dog'}),
        dict(
            class_index=2,
            train_count=5,
            support=2,
            recall=0.0,
            group='few',
            **{'class': 'emu'}),
    ]

    rows = read_csv(out_dir / 'val_epoch_3.csv')
    assert list(rows[0]) == [
        'class_index', 'class', 'train_count', 'support', 'recall', 'group'
    ]
    assert [list(row.values()) for row in rows] == [
        ['0', 'cat', '500', '4', '75.0', 'many'],
        ['1', 'dog', '50', '2', '50.0', 'medium'],
        ['2', 'emu', '5', '2', '0.0', 'few'],
    ]

    # Same epoch again (e.g. a second metric or a re-run): a suffix, and
    # the first files are untouched.
    before = (out_dir / 'val_epoch_3.json').read_bytes()
    hook.after_val_epoch(runner, metrics={})
    assert (out_dir / 'val_epoch_3_1.json').is_file()
    assert (out_dir / 'val_epoch_3_1.csv').is_file()
    assert (out_dir / 'val_epoch_3.json').read_bytes() == before


def test_after_test_epoch(tmp_path):
    hook = HOOKS.build(dict(type='PerClassRecallHook'))
    runner = fake_runner(tmp_path, [evaluated_metric()])
    hook.after_test_epoch(runner, metrics={})
    out_dir = tmp_path / 'per_class'
    assert sorted(p.name for p in out_dir.iterdir()) == [
        'test.csv', 'test.json', 'test.png'
    ]
    assert (out_dir / 'test.png').read_bytes()[:8] == PNG_MAGIC
    record = json.loads((out_dir / 'test.json').read_text())
    assert record['split'] == 'test'
    assert [row['recall'] for row in record['per_class']] == [75, 50, 0]

    # A second test in the same log dir; a stray png alone also blocks the
    # stem, so json, csv and png always share one.
    (out_dir / 'test_1.png').write_bytes(b'')
    hook.after_test_epoch(runner, metrics={})
    assert {'test_2.json', 'test_2.csv', 'test_2.png'
            } <= {p.name
                  for p in out_dir.iterdir()}
    assert not (out_dir / 'test_1.json').exists()


def test_missing_values_and_no_table(tmp_path):
    hook = HOOKS.build(dict(type='PerClassRecallHook', plot_test=False))
    # Before any evaluation there is no table: nothing is written.
    hook.after_test_epoch(fake_runner(tmp_path, [LongTailMetric()]))
    assert not (tmp_path / 'per_class').exists()

    # No counts and a class without test sample: nulls / empty cells.
    metric = LongTailMetric(num_classes=3)
    metric.process(None, [
        dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([0])),
        dict(pred_label=torch.tensor([0]), gt_label=torch.tensor([1])),
    ])
    metric.evaluate(2)
    hook.after_test_epoch(fake_runner(tmp_path, [metric]))
    out_dir = tmp_path / 'per_class'
    assert sorted(p.name
                  for p in out_dir.iterdir()) == ['test.csv', 'test.json']
    rows = json.loads((out_dir / 'test.json').read_text())['per_class']
    assert rows[2] == dict(
        class_index=2,
        train_count=None,
        support=0,
        recall=None,
        group=None,
        **{'class': '2'})
    assert list(read_csv(
        out_dir / 'test.csv')[2].values()) == ['2', '2', '', '0', '', '']


class _TestOnlyRunner(SimpleNamespace):
    """A runner of tools/test.py: the training loop is still a config."""

    @property
    def epoch(self):
        raise AssertionError('runner.epoch builds the training loop')

    iter = epoch


def test_test_only_run_does_not_build_the_training_loop(tmp_path):
    # Building it would load the training set on rank 0 alone, which
    # breaks a distributed test (tools/slurm_test.sh, tools/dist_test.sh).
    hook = HOOKS.build(dict(type='PerClassRecallHook', plot_test=False))
    evaluator = SimpleNamespace(metrics=[evaluated_metric()])
    runner = _TestOnlyRunner(
        log_dir=str(tmp_path),
        _train_loop=dict(type='EpochBasedTrainLoop', max_epochs=2),
        test_evaluator=evaluator,
        visualizer=RecordingVisualizer(),
        logger=MMLogger.get_instance('test_per_class_recall_hook'))
    hook.after_test_epoch(runner, metrics={})
    record = json.loads((tmp_path / 'per_class' / 'test.json').read_text())
    assert (record['epoch'], record['iter']) == (0, 0)


def test_rare_group_in_the_table(tmp_path):
    """With rare_thr, the CSV and JSON name the fourth group `rare` and the
    JSON records the threshold."""
    metric = LongTailMetric(class_counts=[500, 50, 15, 5], rare_thr=10)
    targets = [0, 0, 1, 1, 2, 2, 3, 3]
    preds = [0, 0, 1, 0, 2, 2, 3, 0]
    metric.process(None, [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([t]))
        for p, t in zip(preds, targets)
    ])
    metric.evaluate(len(targets))
    hook = HOOKS.build(dict(type='PerClassRecallHook'))
    hook.after_val_epoch(fake_runner(tmp_path, [metric]), metrics={})
    rows = read_csv(tmp_path / 'per_class' / 'val_epoch_3.csv')
    assert [row['group'] for row in rows] == ['many', 'medium', 'few', 'rare']
    record = json.loads(
        (tmp_path / 'per_class' / 'val_epoch_3.json').read_text())
    assert record['groups']['rare_thr'] == 10
    assert record['metrics']['rare'] == pytest.approx(50.0)
    assert record['metrics']['few'] == pytest.approx(100.0)


def test_chart_reaches_the_visualizer(tmp_path):
    """After validation and testing the chart goes to the visualizer (so
    TensorBoard or W&B show it); a real visualizer with the Local backend
    writes it under vis_image/."""
    from mmengine.visualization import Visualizer
    hook = HOOKS.build(dict(type='PerClassRecallHook'))
    runner = fake_runner(tmp_path, [evaluated_metric()])
    hook.after_val_epoch(runner, metrics={})
    hook.after_test_epoch(runner, metrics={})
    names = [(name, step) for name, _, step in runner.visualizer.images]
    assert names == [('per_class_recall_val', 3), ('per_class_recall_test', 3)]
    for _, image, _ in runner.visualizer.images:
        assert image.dtype.name == 'uint8' and image.ndim == 3
        assert image.shape[2] == 3 and image.shape[0] > 100
        # A chart, not a blank canvas: blue bars and an orange count line.
        assert (image.reshape(-1, 3).std(axis=0) > 10).all()

    runner.visualizer = Visualizer(
        name='per_class_vis',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'vis'))
    hook.after_val_epoch(runner, metrics={})
    written = list((tmp_path / 'vis').rglob('*.png'))
    assert written and written[0].read_bytes()[:8] == PNG_MAGIC

    quiet = HOOKS.build(dict(type='PerClassRecallHook', visualize=False))
    runner = fake_runner(tmp_path / 'quiet', [evaluated_metric()])
    quiet.after_val_epoch(runner, metrics={})
    assert runner.visualizer.images == []
