# Copyright (c) mmlt contributors. All rights reserved.
"""tools/benchmarks: the table maths, the method list, resuming, and both
benchmarks end to end in their --quick form."""
import csv
import glob
import json
import math
import os
import os.path as osp
import re
from pathlib import Path

import pytest
import torch
from utils import ROOT, load_module, read_json, run_tool

BENCHMARKS = Path(ROOT) / 'tools' / 'benchmarks'
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
# The generated Fashion-MNIST has 20 training images per class: IF 10 keeps
# 20 ... 2; these thresholds give Many (1 class), Medium (5), Few (4).
TINY = [
    '--imbalance-factor', '10', '--cfg-options', 'test_evaluator.many_thr=15',
    'test_evaluator.few_thr=5'
]


def load_tool(name):
    return load_module(f'tools/benchmarks/{name}.py')


@pytest.fixture(scope='module')
def acc():
    return load_tool('accuracy_benchmark')


# --------------------------------------------------------------------------
# Table maths
# --------------------------------------------------------------------------
def test_mean_std(acc):
    # mean 82; sample variance (4 + 0 + 4) / 2 = 4.
    assert acc.mean_std([80.0, 82.0, 84.0]) == (82.0, 2.0, 3)
    # Unknown values (None, NaN) are left out: mean 2, std sqrt(2).
    mean, std, n = acc.mean_std([1.0, None, 3.0, float('nan')])
    assert (mean, n) == (2.0, 2) and std == pytest.approx(math.sqrt(2))
    assert acc.mean_std([5.0]) == (5.0, None, 1)
    assert acc.mean_std([None, None]) == (None, None, 0)
    assert acc.mean_std([]) == (None, None, 0)


def test_format_mean_std(acc):
    assert acc.format_mean_std(82.0, 2.0) == '82.00 ± 2.00'
    assert acc.format_mean_std(81.234, 0.456) == '81.23 ± 0.46'
    assert acc.format_mean_std(81.25, 0.0, digits=1) == '81.2 ± 0.0'
    assert acc.format_mean_std(5.0, None) == '5.00'
    assert acc.format_mean_std(None, None) == '–'
    assert acc.relative_time(150.0, 100.0) == 1.5
    assert acc.relative_time(None, 100.0) is None
    assert acc.relative_time(150.0, None) is None


def fake_record(method, seed, top1, recalls, walls, few=None, cpus=None):
    stages = [dict(wall_s=w, epochs=3) for w in walls]
    for stage, cpu in zip(stages, cpus or []):
        stage['cpu_s'] = cpu
    return dict(
        method=method,
        seed=seed,
        device='CPU (2 cores, x86_64)',
        stages=stages,
        metrics=dict(
            top1=top1, many=90.0, few=few, lowest_recall=min(recalls)),
        per_class=[
            dict(
                class_index=i,
                **{'class': f'c{i}'},
                train_count=c,
                support=5,
                recall=r) for i, (c, r) in enumerate(zip((100, 10), recalls))
        ])


def test_summarize_and_rows(acc):
    ce = [
        fake_record('CE', 0, 70.0, (90.0, 50.0), [100.0]),
        fake_record('CE', 1, 74.0, (94.0, 54.0), [110.0]),
    ]
    # Two stages: the time of a seed is their sum (60 + 90, 70 + 80).
    two = [
        fake_record('Two', 0, 80.0, (80.0, 80.0), [60.0, 90.0], few=1.0),
        fake_record('Two', 1, 82.0, (84.0, 70.0), [70.0, 80.0]),
    ]
    two[1]['stages'][0]['time_complete'] = False
    summaries = {'CE': acc.summarize(ce), 'Two': acc.summarize(two)}

    assert summaries['CE']['metrics']['top1'] == (72.0,
                                                  pytest.approx(math.sqrt(8)),
                                                  2)
    assert summaries['CE']['train_s'] == 105.0
    assert summaries['Two']['train_s'] == 150.0
    assert summaries['Two']['epochs'] == 6
    assert summaries['Two']['seeds'] == [0, 1]
    # One seed reported Few, the other not: the mean of what is known.
    assert summaries['Two']['metrics']['few'] == (1.0, None, 1)
    assert [r['recall'] for r in summaries['Two']['per_class']] == [82, 75]
    assert summaries['CE']['time_complete']
    assert not summaries['Two']['time_complete']

    rows = acc.table_rows(summaries)
    header = acc.TABLE_HEADER
    ce_row, two_row = (dict(zip(header, row)) for row in rows)
    assert ce_row['Top-1'] == '72.00 ± 2.83'
    assert ce_row['Medium'] == '–'
    assert ce_row['Lowest'] == '52.00 ± 2.83'
    assert ce_row['Time vs CE'] == '1.00×'
    assert two_row['Few'] == '1.00'
    assert two_row['Seeds'] == '2'
    # 150 / 105, starred: one of its trainings lost a first attempt's time.
    assert two_row['Time vs CE'] == '1.43×*'
    assert two_row['Train (s)'] == '150*'


def test_time_ratio_uses_cpu_time_on_cpu(acc):
    # Wall times inflated by another job on the machine; CPU times not.
    ce = [fake_record('CE', 0, 70.0, (90.0, 50.0), [100.0], cpus=[180.0])]
    two = [
        fake_record(
            'Two', 0, 80.0, (80.0, 80.0), [300.0, 60.0], cpus=[180.0, 90.0])
    ]
    summaries = {'CE': acc.summarize(ce), 'Two': acc.summarize(two)}
    assert summaries['Two']['cpu_s'] == 270.0
    assert acc.time_ratio(summaries['Two'], summaries) == 1.5
    # Without CPU times (older records, or a GPU run): wall time.
    old = {
        'CE':
        acc.summarize([fake_record('CE', 0, 70.0, (90.0, 50.0), [100.0])]),
        'Two': summaries['Two']
    }
    assert old['CE']['cpu_s'] is None
    assert acc.time_ratio(old['Two'], old) == 3.6
    gpu = dict(summaries['Two'], devices=['NVIDIA H100'])
    assert acc.time_ratio(gpu, summaries) == 3.6


# --------------------------------------------------------------------------
# Method list
# --------------------------------------------------------------------------
def test_methods_cover_every_fashion_mnist_config():
    methods = load_tool('methods')
    assert next(iter(methods.METHODS)) == 'CE'
    listed = set()
    for name, stages in methods.METHODS.items():
        assert re.fullmatch(r'[A-Za-z0-9_-]+', name), name
        assert stages and stages[0].train, name
        assert all(stage.train for stage in stages[:-1]), name
        for stage in stages:
            assert osp.isfile(osp.join(ROOT, stage.config)), stage.config
            listed.add(stage.config)
    configs = {
        osp.relpath(path, ROOT)
        for path in glob.glob(
            osp.join(ROOT, 'configs', '*', '*fashion-mnist-lt-r100.py'))
    }
    missing = sorted(configs - listed)
    assert not missing, (f'add these configs to tools/benchmarks/methods.py '
                         f'so the benchmark runs them: {missing}')


# --------------------------------------------------------------------------
# Resuming (subprocesses faked)
# --------------------------------------------------------------------------
class FakeTools:
    """Stands in for tools/train.py and tools/test.py."""

    def __init__(self):
        self.calls = []

    def __call__(self, cmd, log_file, verbose):
        self.calls.append(cmd)
        work_dir = cmd[cmd.index('--work-dir') + 1]
        if 'tools/train.py' in cmd:
            os.makedirs(work_dir, exist_ok=True)
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work_dir, 'epoch_1.pth'))
            return 2.0
        out = osp.join(work_dir, '20240101_000000', 'per_class')
        os.makedirs(out)
        recall = 10.0 * len(self.calls)
        record = dict(
            metrics=dict(top1=recall, lowest_recall=recall),
            groups=dict(many_thr=15, few_thr=5),
            per_class=[
                dict(
                    class_index=0,
                    train_count=20,
                    support=5,
                    recall=recall,
                    group='many',
                    **{'class': 'a'})
            ])
        with open(osp.join(out, 'test.json'), 'w') as f:
            json.dump(record, f)
        return 1.0


def test_two_stages_resume_and_reuse(acc, tmp_path, monkeypatch):
    tools = FakeTools()
    monkeypatch.setattr(acc, 'run_command', tools)
    stages = acc.METHODS['cRT']
    options = ['train_cfg.max_epochs=1', 'randomness.seed=3']
    seed_dir = str(tmp_path / 'cRT' / 'seed3')

    # An earlier call was killed hard while training stage one: it left a
    # checkpoint, and a record saying it was running.
    stage1 = osp.join(seed_dir, 'stage1')
    os.makedirs(stage1)
    with open(osp.join(stage1, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(stage1, 'epoch_1.pth'))
    record = acc.new_record('cRT', 3, stages, options)
    record['stages'][0].update(running=True, wall_s=5.0)
    acc.save_record(osp.join(seed_dir, 'run.json'), record)

    record, reused = acc.run_method_seed('cRT', 3, stages, options, seed_dir,
                                         False, False)
    assert not reused
    train1, train2, test = tools.calls
    assert '--resume' in train1
    assert '--resume' not in train2
    assert f'load_from={osp.join(stage1, "epoch_1.pth")}' in train2
    assert 'randomness.seed=3' in train2 and 'randomness.seed=3' in test
    assert test[2] == stages[1].config
    assert test[3] == osp.join(seed_dir, 'stage2', 'epoch_1.pth')
    # The (instant) resumed attempt adds to the earlier attempt's 5 s, which
    # is known to be incomplete.
    assert record['stages'][0]['wall_s'] == pytest.approx(5.0, abs=0.5)
    assert record['stages'][0]['time_complete'] is False
    assert record['metrics']['top1'] == 30.0
    assert read_json(osp.join(seed_dir, 'run.json')) == record

    # Finished: nothing runs again.
    again, reused = acc.run_method_seed('cRT', 3, stages, options, seed_dir,
                                        False, False)
    assert reused and again == record and len(tools.calls) == 3

    # Other options than the record's are refused, not mixed.
    with pytest.raises(SystemExit, match='other stages or options'):
        acc.run_method_seed('cRT', 3, stages, options + ['x=1'], seed_dir,
                            False, False)


def test_first_stage_shared_between_methods(acc, tmp_path, monkeypatch):
    tools = FakeTools()
    monkeypatch.setattr(acc, 'run_command', tools)
    options = ['train_cfg.max_epochs=1', 'randomness.seed=0']
    shared = {}
    ce_dir = str(tmp_path / 'CE' / 'seed0')
    ce, _ = acc.run_method_seed('CE', 0, acc.METHODS['CE'], options, ce_dir,
                                False, False, shared)
    acc.remember_first_stage(ce, ce_dir, shared)
    assert len(tools.calls) == 2  # train, test

    crt_dir = str(tmp_path / 'cRT' / 'seed0')
    crt, _ = acc.run_method_seed('cRT', 0, acc.METHODS['cRT'], options,
                                 crt_dir, False, False, shared)
    # Only stage two trains, from CE's checkpoint; CE's time is counted.
    train2, test = tools.calls[2:]
    assert train2[2] == acc.METHODS['cRT'][1].config
    assert f'load_from={ce["stages"][0]["checkpoint"]}' in train2
    assert '--no-validate' in train2
    first = crt['stages'][0]
    assert first['shared_from'] == osp.join('..', '..', 'CE', 'seed0')
    assert first['wall_s'] == ce['stages'][0]['wall_s'] > 0
    assert first['cpu_s'] == ce['stages'][0]['cpu_s']
    assert not osp.exists(osp.join(crt_dir, 'stage1'))

    # Another seed or other options share nothing.
    other = options[:1] + ['randomness.seed=1']
    acc.run_method_seed('LWS', 1, acc.METHODS['LWS'], other,
                        str(tmp_path / 'LWS' / 'seed1'), False, False, shared)
    assert tools.calls[4][2] == acc.METHODS['CE'][0].config


def test_test_only_stage(acc, tmp_path, monkeypatch):
    tools = FakeTools()
    monkeypatch.setattr(acc, 'run_command', tools)
    stages = acc.METHODS['tau-norm']
    assert not stages[-1].train
    seed_dir = str(tmp_path / 'tau' / 'seed0')
    record, _ = acc.run_method_seed('tau-norm', 0, stages,
                                    ['train_cfg.max_epochs=1'], seed_dir,
                                    False, False)
    train, test = tools.calls
    # The stage-one checkpoint is tested with the tau-norm config.
    assert test[2] == stages[1].config
    assert test[3] == osp.join(seed_dir, 'stage1', 'epoch_1.pth')
    assert [s['epochs'] for s in record['stages']] == [1, 0]
    assert record['stages'][1]['wall_s'] == 0


def test_report_only_tabulates_finished_runs(acc, tmp_path, monkeypatch):
    """--report-only trains nothing and tables the finished (method, seed)
    runs, so a long benchmark can be read while it runs."""
    tools = FakeTools()
    monkeypatch.setattr(acc, 'run_command', tools)
    work = str(tmp_path / 'bench')
    acc.main(['--work-dir', work, '--seeds', '0', '--methods', 'CB'])
    assert len(tools.calls) == 4  # CE and CB: a training and a test each
    acc.main([
        '--work-dir', work, '--seeds', '0', '1', '--methods', 'CB',
        '--report-only'
    ])
    assert len(tools.calls) == 4
    table = open(osp.join(work, 'results.md')).read()
    rows = [r for r in table.splitlines() if r.startswith('| CB ')]
    assert len(rows) == 1
    # One seed of the two asked for has finished.
    assert rows[0].split('|')[-5].strip() == '1'


def test_validating_stages(acc, tmp_path, monkeypatch):
    """GLAG's adaptive confidence reads the validation: its stage trains
    without --no-validate, with the data root on the development split's
    wrapped dataset; a record of a stage that did not validate is refused."""
    tools = FakeTools()
    monkeypatch.setattr(acc, 'run_command', tools)
    stages = acc.METHODS['GLAG']
    assert [s.validate for s in stages] == [False, True]
    options = [
        'train_dataloader.dataset.dataset.data_root=/data',
        'val_dataloader.dataset.data_root=/data', 'randomness.seed=0'
    ]
    seed_dir = str(tmp_path / 'GLAG' / 'seed0')
    record, _ = acc.run_method_seed('GLAG', 0, stages, options, seed_dir,
                                    False, False)
    train1, train2, test = tools.calls
    assert '--no-validate' in train1
    assert '--no-validate' not in train2
    assert 'val_dataloader.dataset.data_root=/data' in train1
    # The validation set wraps the training pool: the root goes inside.
    assert 'val_dataloader.dataset.dataset.data_root=/data' in train2
    assert 'val_dataloader.dataset.data_root=/data' not in train2
    assert 'val_dataloader.dataset.dataset.data_root=/data' in test
    assert [s['validate'] for s in record['stages']] == [False, True]

    # A run of the same stages without validation (e.g. from before the
    # flag existed) is not silently re-used.
    old_dir = str(tmp_path / 'old' / 'seed0')
    old = acc.new_record('GLAG', 0,
                         [s._replace(validate=False) for s in stages], options)
    for state in old['stages']:
        del state['validate']
    acc.save_record(osp.join(old_dir, 'run.json'), old)
    with pytest.raises(SystemExit, match='other stages or options'):
        acc.run_method_seed('GLAG', 0, stages, options, old_dir, False, False)
    # Records without the flag still match stages that do not validate.
    crt_dir = str(tmp_path / 'cRT' / 'seed0')
    old = acc.new_record('cRT', 0, acc.METHODS['cRT'], options)
    for state in old['stages']:
        del state['validate']
    acc.save_record(osp.join(crt_dir, 'run.json'), old)
    acc.run_method_seed('cRT', 0, acc.METHODS['cRT'], options, crt_dir, False,
                        False)
    assert all('--no-validate' in cmd for cmd in tools.calls[3:]
               if 'tools/train.py' in cmd)


def test_validate_flag_matches_adaptive_confidence(acc):
    """Exactly the stages whose config adapts lambda from the validation
    validate, and none of them validates on the test set."""
    methods = load_tool('methods')
    for name, stages in methods.METHODS.items():
        for stage in stages:
            if not stage.train:
                assert not stage.validate, name
                continue
            cfg = acc.load_config(stage.config)
            hooks = [h['type'] for h in cfg.get('custom_hooks', [])]
            assert stage.validate == ('AdaptiveConfidenceHook'
                                      in hooks), (name, stage.config)
            if stage.validate:
                assert cfg.val_dataloader.dataset.split == 'dev', name
                assert acc.val_data_root_key(stage.config) == (
                    'val_dataloader.dataset.dataset.data_root')


# --------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------
def test_accuracy_benchmark_quick(tmp_path, fmnist_root):
    work = tmp_path / 'bench'
    cmd = [
        'tools/benchmarks/accuracy_benchmark.py', '--quick', '--methods', 'CE',
        '--data-root', fmnist_root, '--work-dir',
        str(work)
    ] + TINY
    first = run_tool(cmd).stdout
    out = tmp_path / 'bench-quick'  # quick runs never mix with real ones
    assert not work.exists()
    assert re.search(
        r'\[1/1\] CE seed=0: top1 \d+\.\d\d lowest \d+\.\d\d '
        r'\(\d+ s\)', first), first

    run = read_json(out / 'CE' / 'seed0' / 'run.json')
    top1 = run['metrics']['top1']
    md = (out / 'results.md').read_text()
    rows = [line for line in md.splitlines() if line.startswith('| ')]
    assert len(rows) == 3, md  # header, rule, CE
    cells = [c.strip() for c in rows[2].strip('|').split('|')]
    assert cells[0] == 'CE' and cells[1] == f'{top1:.2f}'
    assert cells[2] != '–' and cells[4] != '–'  # Many and Few
    assert cells[-1] == '1.00×'
    assert 'accuracy_benchmark.py --quick --methods CE' in md
    assert 'IF 10' in md and 'Seeds (`randomness.seed`): 0;' in md
    assert 'CE 1.' in md  # the recipe's epochs

    with open(out / 'results.csv', newline='') as f:
        table = list(csv.DictReader(f))
    assert len(table) == 1 and table[0]['method'] == 'CE'
    assert float(table[0]['top1_mean']) == pytest.approx(top1)
    assert (out / 'per_class_recall.png').read_bytes()[:8] == PNG_MAGIC

    # A second call re-uses the finished run: no training, no test.
    stage = out / 'CE' / 'seed0' / 'stage1'
    runs_before = sorted(os.listdir(stage))
    record_time = (out / 'CE' / 'seed0' / 'run.json').stat().st_mtime
    second = run_tool(cmd).stdout
    assert re.search(r'\[1/1\] CE seed=0: top1 .*, reused\)', second), second
    assert sorted(os.listdir(stage)) == runs_before
    assert (out / 'CE' / 'seed0' / 'run.json').stat().st_mtime == record_time
    assert (out / 'results.md').read_text() == md


def test_cost_flags_a_cxc_allocation():
    cost = load_tool('cost_benchmark')
    num_classes, batch = 300, 4
    logits = torch.randn(batch, num_classes, requires_grad=True)
    labels = torch.randint(num_classes, (batch, ))
    ce = cost.make_step(
        cost.build_loss('CE', [10] * num_classes, 'cpu'), logits, labels)

    def cxc_step():
        logits.grad = None
        pairwise = logits.sum(0)[:, None] - logits.sum(0)[None, :]  # C x C
        pairwise.square().mean().backward()

    ce_peak = cost.peak_step_memory(ce, logits, 'cpu')
    cxc_peak = cost.peak_step_memory(cxc_step, logits, 'cpu')
    assert 0 < ce_peak < num_classes**2 * 4 <= cxc_peak
    assert cost.cxc_flag(ce_peak, ce_peak, num_classes) == 'no'
    assert cost.cxc_flag(cxc_peak, ce_peak, num_classes) == 'YES'
    # Where CE's own buffers reach C x C, the test cannot tell.
    assert cost.cxc_flag(cxc_peak, cxc_peak, num_classes) == 'n/a'


def test_cost_ratio_and_spread():
    cost = load_tool('cost_benchmark')
    # Pairwise ratios 2, 2, 2, 4: median 2; quartiles 2 and 2.5.
    ratio, spread = cost.ratio_and_spread([1.0, 2.0, 1.0, 1.0],
                                          [2.0, 4.0, 2.0, 4.0])
    assert ratio == 2.0 and spread == pytest.approx(0.125)
    # Drift that hits both steps of a pair alike cancels.
    assert cost.ratio_and_spread([1.0, 10.0], [1.5, 15.0]) == (1.5, 0.0)
    assert cost.ratio_and_spread([2.0], [3.0]) == (1.5, 0.0)


def test_cost_benchmark_quick(fmnist_root):
    proc = run_tool([
        'tools/benchmarks/cost_benchmark.py', '--quick', '--data-root',
        fmnist_root, '--cfg-options',
        'train_dataloader.dataset.imbalance_factor=10'
    ])
    out = proc.stdout
    cost = load_tool('cost_benchmark')
    assert 'batch 128, 10 classes' in out
    for name in cost.LOSSES:
        if name != 'CE':
            assert re.search(rf'^{re.escape(name)} +\d+\.\d\d× ', out,
                             re.M), (name, out)
    assert re.search(r'framework overhead, 5 iterations .* -> \d+\.\d\d×',
                     out), out
    # Jamal et al.'s (2020) meta-reweighting iteration against a plain one,
    # with the config's gradient products and with the exact ones.
    assert 'meta-reweighting iteration' in out, out
    for method in ('central_difference', 'forward_ad'):
        assert re.search(rf'^{method}: plain .* -> meta \d+\.\d\d×', out,
                         re.M), (method, out)
