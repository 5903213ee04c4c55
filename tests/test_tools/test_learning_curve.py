# Copyright (c) mmlt contributors. All rights reserved.
"""tools/benchmarks/learning_curve.py: the curve's maths and its runs (the
training subprocesses faked), which the benchmark at the same length
re-uses."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from utils import load_module

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


@pytest.fixture(scope='module')
def curve():
    return load_module('tools/benchmarks/learning_curve.py')


def record(seed, top1):
    metrics = dict(
        top1=top1,
        few=top1 - 10,
        gmean_recall=top1 - 20,
        hmean_recall=top1 - 30,
        lowest_recall=top1 - 40)
    return dict(seed=seed, metrics=metrics)


def test_curve_rows(curve):
    points = {
        24: [record(0, 84.4), record(1, 84.8)],
        6: [record(0, 70.3), record(1, 70.7)],
        12: [record(0, 77.6), record(1, 79.3)],
    }
    rows = curve.curve_rows(points)
    assert [row['epochs'] for row in rows] == [6, 12, 24]
    for row in rows:
        top1 = [r['metrics']['top1'] for r in points[row['epochs']]]
        np.testing.assert_allclose(row['top1'],
                                   (np.mean(top1), np.std(top1, ddof=1)))
        np.testing.assert_allclose(row['hmean_recall'][0], np.mean(top1) - 30)
    assert rows[0]['gain'] is None
    np.testing.assert_allclose(rows[1]['gain'], 78.45 - 70.5)
    np.testing.assert_allclose(rows[2]['gain'], 84.6 - 78.45)
    np.testing.assert_allclose([row['to_longest'] for row in rows],
                               [84.6 - 70.5, 84.6 - 78.45, 0.0])


class FakeTrainTest:
    """tools/train.py and tools/test.py: top-1 grows with max_epochs."""

    def __init__(self):
        self.calls = []

    def __call__(self, cmd, log_file, verbose):
        self.calls.append(cmd)
        work_dir = cmd[cmd.index('--work-dir') + 1]
        options = cmd[cmd.index('--cfg-options') + 1:]
        if 'tools/train.py' in cmd:
            os.makedirs(work_dir, exist_ok=True)
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work_dir, 'epoch_1.pth'))
            return 1.0
        epochs = 6
        for option in options:
            if option.startswith('train_cfg.max_epochs='):
                epochs = int(option.split('=')[1])
        top1 = 90.0 - 120.0 / epochs
        out = osp.join(work_dir, '20240101_000000', 'per_class')
        os.makedirs(out)
        result = dict(
            metrics=dict(
                top1=top1,
                few=top1,
                gmean_recall=top1,
                hmean_recall=top1,
                lowest_recall=top1),
            per_class=[
                dict(
                    class_index=0,
                    train_count=20,
                    support=5,
                    recall=top1,
                    **{'class': 'a'})
            ])
        with open(osp.join(out, 'test.json'), 'w') as f:
            json.dump(result, f)
        return 1.0


def test_main_runs_each_length_in_the_benchmark_work_dir(
        curve, tmp_path, monkeypatch):
    fake = FakeTrainTest()
    monkeypatch.setattr(curve.acc, 'run_command', fake)
    prefix = str(tmp_path / 'bench')
    out = str(tmp_path / 'curve')
    argv = [
        '--epochs', '6', '12', '--seeds', '0', '1', '--work-dir', prefix,
        '--out', out
    ]
    curve.main(argv)
    # Two lengths x two seeds, a training and a test each.
    assert len(fake.calls) == 8
    trains = [c for c in fake.calls if 'tools/train.py' in c]
    assert sum('train_cfg.max_epochs=12' in c for c in trains) == 2
    for epochs in (6, 12):
        for seed in (0, 1):
            run = osp.join(f'{prefix}-{epochs}e', 'CE', f'seed{seed}',
                           'run.json')
            assert osp.isfile(run)
    text = open(osp.join(out, 'curve.md')).read()
    # 90 - 120/6 = 70, 90 - 120/12 = 80: a gain of 10 points.
    assert '| 70.00 ± 0.00' in text and '+10.00' in text
    with open(osp.join(out, 'curve.png'), 'rb') as f:
        assert f.read(8) == PNG_MAGIC
    # The benchmark at 12 epochs finds the same record and re-uses it.
    acc = curve.acc
    seed_dir = osp.join(f'{prefix}-12e', 'CE', 'seed0')
    options = curve.benchmark_options(
        curve.parse_args(argv)) + ['randomness.seed=0']
    _, reused = acc.run_method_seed(
        'CE', 0, acc.METHODS['CE'], options, seed_dir, False, False, epochs=12)
    assert reused
    assert len(fake.calls) == 8
