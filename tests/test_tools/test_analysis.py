# Copyright (c) mmlt contributors. All rights reserved.
import csv
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from utils import load_module

from mmlt.engine.hooks import PerClassRecallHook
from mmlt.evaluation.metrics import LongTailMetric

PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def load_tool(name):
    return load_module(f'tools/analysis/{name}.py')


def write_result(log_dir, preds, split='test', epoch=0, counts=(500, 50, 5)):
    """Run LongTailMetric on 2 samples per class and write its per-class
    files with PerClassRecallHook, as a run in ``log_dir`` would."""
    metric = LongTailMetric(class_counts=list(counts))
    targets = [0, 0, 1, 1, 2, 2]
    metric.process(None, [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([t]))
        for p, t in zip(preds, targets)
    ])
    metric.evaluate(len(targets))
    evaluator = SimpleNamespace(metrics=[metric])
    runner = SimpleNamespace(
        log_dir=str(log_dir),
        epoch=epoch,
        iter=0,
        val_evaluator=evaluator,
        test_evaluator=evaluator,
        logger=MMLogger.get_instance('test_analysis'))
    hook = PerClassRecallHook(plot_test=False)
    if split == 'test':
        hook.after_test_epoch(runner)
    else:
        hook.after_val_epoch(runner)


@pytest.fixture
def work_dirs(tmp_path):
    # ce: val at epochs 2 and 10 (10 must win, not "2" > "10"), then a test
    # that must be preferred: recalls 100, 50, 0.
    ce = tmp_path / 'ce'
    write_result(ce / '20240101_000000', [1, 1, 1, 1, 2, 2], 'val', epoch=2)
    write_result(ce / '20240101_000000', [0, 0, 0, 0, 0, 0], 'val', epoch=10)
    write_result(ce / '20240102_000000', [0, 0, 1, 0, 0, 1])
    # ldam: validation only; latest epoch: recalls 50, 100, 50.
    ldam = tmp_path / 'ldam'
    write_result(ldam / '20240101_000000', [0, 0, 0, 0, 0, 0], 'val', epoch=1)
    write_result(ldam / '20240101_000000', [0, 1, 1, 1, 2, 0], 'val', epoch=5)
    # no_medium: counts without a medium class: recalls 50, 50, 100.
    no_medium = tmp_path / 'no_medium'
    write_result(
        no_medium / '20240103_000000', [0, 1, 1, 0, 2, 2],
        counts=(500, 200, 5))
    return tmp_path


def test_compare_work_dirs(work_dirs, capsys):
    tool = load_tool('compare_work_dirs')
    out, out_csv = work_dirs / 'table.md', work_dirs / 'table.csv'
    tool.main(
        [str(work_dirs / name) for name in ('ce', 'ldam', 'no_medium')] +
        ['--out', str(out), '--csv', str(out_csv)])
    printed = capsys.readouterr()
    lines = printed.out.strip().splitlines()
    assert out.read_text().strip() == printed.out.strip()
    cells = [[cell.strip() for cell in line.strip('|').split('|')]
             for line in lines]
    assert cells[0] == [
        'Method', 'Top-1', 'Many', 'Medium', 'Few', 'G-mean', 'H-mean',
        'Lowest'
    ]
    assert set(cells[1][1]) == {'-', ':'}
    assert cells[2:] == [
        # recalls 1, .5, 0 -> G = (1e-3 / 2) ** (1 / 3), H = 3 / 1003
        ['ce', '50.00', '100.00', '50.00', '0.00', '7.94', '0.30', '0.00'],
        # recalls .5, 1, .5 -> G = 0.25 ** (1 / 3), H = 3 / 5
        [
            'ldam', '66.67', '50.00', '100.00', '50.00', '63.00', '60.00',
            '50.00'
        ],
        [
            'no_medium', '66.67', '50.00', '–', '100.00', '63.00', '60.00',
            '50.00'
        ],
    ]
    # Which file each row comes from.
    assert 'ce: ' in printed.err and '20240102_000000' in printed.err
    assert 'val_epoch_5.json' in printed.err

    with open(out_csv, newline='') as f:
        rows = list(csv.DictReader(f))
    assert rows[0]['Top-1'] == '50.0'
    assert rows[1]['G-mean'].startswith('62.99')
    assert rows[2]['Medium'] == ''
    assert rows[2]['Source'].endswith('test.json')


def test_compare_work_dirs_errors(work_dirs):
    tool = load_tool('compare_work_dirs')
    with pytest.raises(SystemExit, match='missing: no such work dir'):
        tool.main([str(work_dirs / 'ce'), str(work_dirs / 'missing')])
    (work_dirs / 'empty' / '20240101_000000').mkdir(parents=True)
    with pytest.raises(SystemExit, match='empty: no per-class results'):
        tool.main([str(work_dirs / 'empty')])


def test_plot_tools(work_dirs, capsys):
    json_file = work_dirs / 'ce/20240102_000000/per_class/test.json'
    load_tool('plot_per_class_recall').main([str(json_file)])
    assert (json_file.parent / 'test_recall.png').read_bytes()[:8] == PNG_MAGIC

    tool = load_tool('plot_class_distribution')
    tool.main([str(json_file), '--out', str(work_dirs / 'dist.png')])
    assert (work_dirs / 'dist.png').read_bytes()[:8] == PNG_MAGIC
    tool.main([
        '--counts', '5000', '2997', '1796', '--classes', 'a', 'b', 'c',
        '--out',
        str(work_dirs / 'counts.png')
    ])
    assert (work_dirs / 'counts.png').read_bytes()[:8] == PNG_MAGIC
    assert 'counts.png' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        tool.main([str(json_file), '--counts', '5', '3'])
