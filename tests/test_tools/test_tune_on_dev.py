# Copyright (c) mmlt contributors. All rights reserved.
"""tools/benchmarks/tune_on_dev.py and accuracy_benchmark.py --tuned: the
tuning runs (subprocesses faked), the selection, the refusal of a tuned.json
made for another recipe, and both end to end on the generated data."""
import json
import os
import os.path as osp
import re

import pytest
from utils import load_module, read_json, run_tool

TAU_NORM, CE_ENS, LDAM_ENS = ('tau-norm', 'CE-GML-ensemble',
                              'LDAM-DRW-GML-ensemble')
CE_CONFIG = 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'
DEV = [
    'train_dataloader.dataset.dev_per_class=50',
    'train_dataloader.dataset.dev_seed=0'
]
#: Dev top-1 of the fake tuner by seed and τ: seed 0 alone picks 0.5, the
#: mean over seeds 0 and 1 picks 0.7 (79.5).
TAU_TOP1 = {
    0: {
        0.0: 60.0,
        0.5: 80.0,
        0.7: 79.0,
        1.0: 70.0
    },
    1: {
        0.0: 60.0,
        0.5: 70.0,
        0.7: 80.0,
        1.0: 70.0
    }
}
NEW_T, OLD_T = ['0.5', '1', '2'], ['0.03125', '1', '4']


@pytest.fixture(scope='module')
def tod():
    return load_module('tools/benchmarks/tune_on_dev.py')


class FakeTools:
    """Stands in for tools/train.py, tools/test.py and the two tuners.

    The τ tuner scores with ``TAU_TOP1``; the temperature tuner gives every
    pair the same score, so the tie rule decides.
    """

    def __init__(self, tod):
        self.tod = tod
        self.calls = []

    def __call__(self, cmd, log_file, verbose):
        self.calls.append(cmd)
        tool = cmd[1]
        if tool == 'tools/train.py':
            work_dir = cmd[cmd.index('--work-dir') + 1]
            os.makedirs(work_dir, exist_ok=True)
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work_dir, 'epoch_1.pth'))
            return 2.0
        if tool == 'tools/test.py':
            out = osp.join(cmd[cmd.index('--work-dir') + 1], '20240101',
                           'per_class')
            os.makedirs(out)
            with open(osp.join(out, 'test.json'), 'w') as f:
                json.dump(
                    dict(
                        metrics=dict(top1=50.0, lowest_recall=40.0),
                        groups=dict(many_thr=15, few_thr=5),
                        per_class=[
                            dict(
                                class_index=0,
                                train_count=20,
                                support=5,
                                recall=50.0,
                                **{'class': 'a'})
                        ]), f)
            return 1.0
        return self.tune(cmd)

    def tune(self, cmd):
        tod = self.tod
        if 'tune_tau_norm' in cmd[1]:
            args = tod.tau_tool.parse_args(cmd[2:])
            kind = 'tau'
        else:
            args = tod.temperature_tool.parse_args(cmd[2:])
            kind = 'temperature'
        seed = args.cfg_options['randomness.seed']
        head = tod.acc.load_config(args.config).model.head
        results = []
        for point in tod.grid_points(kind, args):
            if kind == 'tau':
                top1 = TAU_TOP1[seed][point[0]]
                results.append(dict(tau=point[0], metrics={}))
            else:
                top1 = 75.0
                results.append(
                    dict(
                        new_temperature=point[0],
                        old_temperature=point[1],
                        metrics={}))
            results[-1]['metrics'] = {
                'long-tail/top1': top1,
                'long-tail/hmean_recall': top1 - 10
            }
        keys = tod.KINDS[kind]['keys']
        record = dict(
            config=args.config,
            checkpoint=args.checkpoint,
            head=head.type,
            split='dev',
            dev_per_class=args.dev_per_class,
            dev_seed=args.dev_seed,
            size=10 * args.dev_per_class,
            metric=args.metric,
            best_value=max(r['metrics'][args.metric] for r in results),
            results=results,
            **{f'default_{k}': float(head.get(k, 1.0))
               for k in keys})
        with open(args.out, 'w') as f:
            json.dump(record, f)
        return 1.0

    def of(self, tool):
        return [c for c in self.calls if c[1] == tool]


def tune(tod, tmp_path, monkeypatch, *extra):
    tools = FakeTools(tod)
    monkeypatch.setattr(tod.acc, 'run_command', tools)
    tuned = tod.main([
        '--work-dir',
        str(tmp_path / 'tune'), '--epochs', '12', '--seeds', '0', '1',
        '--methods', TAU_NORM, CE_ENS, LDAM_ENS, '--taus', '0', '0.5', '0.7',
        '1', '--new-temperatures', *NEW_T, '--old-temperatures', *OLD_T, *extra
    ])
    return tools, tuned


def test_methods_found_from_the_heads(tod):
    tunable = tod.tunable_methods()
    assert tunable[TAU_NORM] == 'tau'
    assert tunable[CE_ENS] == tunable['PaCo-GML-ensemble'] == 'temperature'
    # Every ensemble of the method list, whatever its name; no other row.
    ensembles = {m for m in tod.METHODS if m.endswith('-GML-ensemble')}
    assert set(tunable) == ensembles | {TAU_NORM}


def test_tune_on_dev_with_faked_runs(tod, tmp_path, monkeypatch):
    tools, tuned = tune(tod, tmp_path, monkeypatch)

    # Never the test set.
    assert not tools.of('tools/test.py')
    trains = tools.of('tools/train.py')
    for cmd in trains:
        assert all(option in cmd for option in DEV), cmd
    # The models are the benchmark's: tau-norm's CE trains the whole
    # recipe (12 epochs), CE-GML-ensemble's stage one 12 - 2, LDAM-DRW's
    # stage one too; one of each per seed.
    for method, config, epochs in ((TAU_NORM, CE_CONFIG, 12), (CE_ENS,
                                                               CE_CONFIG, 10),
                                   (LDAM_ENS, tod.METHODS[LDAM_ENS][0].config,
                                    10)):
        runs = [
            c for c in trains
            if c[2] == config and f'{os.sep}{method}{os.sep}' in c[4]
        ]
        assert len(runs) == 2, method
        assert all(f'train_cfg.max_epochs={epochs}' in c for c in runs)

    tuners = [c for c in tools.calls if 'tools/analysis' in c[1]]
    assert len(tuners) == 3 * 2
    for cmd in tuners:
        i = cmd.index('--dev-per-class')
        assert cmd[i:i + 4] == ['--dev-per-class', '50', '--dev-seed', '0']
        assert cmd[cmd.index('--metric') + 1] == 'long-tail/top1'
        assert all(option in cmd for option in DEV)
    tau_cmd = next(c for c in tuners if 'tune_tau_norm' in c[1])
    assert tau_cmd[2] == tod.METHODS[TAU_NORM][1].config
    # tau-norm trains nothing itself: the CE checkpoint is tuned.
    assert 'CE-GML-ensemble' not in tau_cmd[3]
    assert tau_cmd[3].endswith(osp.join('stage1', 'epoch_1.pth'))

    path = tmp_path / 'tune' / 'tuned.json'
    assert read_json(path) == json.loads(json.dumps(tuned))
    assert tuned['recipe'] == dict(epochs=12, quick=False)
    assert tuned['data'] == dict(imbalance_factor=100.0, profile='exp')
    assert tuned['dev_split'] == dict(dev_per_class=50, dev_seed=0)
    assert tuned['seeds'] == [0, 1]
    tau = tuned['methods'][TAU_NORM]
    # The mean over seeds decides, not one seed.
    assert tau['options'] == ['model.head.tau=0.7']
    assert tau['best_value'] == pytest.approx(79.5)
    assert tau['default'] == {'tau': 1.0} and tau['default_value'] == 70.0
    assert [p['metrics']['long-tail/top1']
            for p in tau['grid']] == [60.0, 75.0, 79.5, 70.0]
    # All pairs tie: the config's temperatures stay (CE: 1 and 1; LDAM's
    # cosine classifier: t_old = 1/30, whose closest is 1/32).
    assert tuned['methods'][CE_ENS]['options'] == [
        'model.head.new_temperature=1.0', 'model.head.old_temperature=1.0'
    ]
    assert tuned['methods'][LDAM_ENS]['options'] == [
        'model.head.new_temperature=1.0', 'model.head.old_temperature=0.03125'
    ]
    assert tuned['methods'][LDAM_ENS]['default_value'] is None

    md = (tmp_path / 'tune' / 'tuned.md').read_text()
    rows = [[c.strip() for c in line.strip('|').split('|')]
            for line in md.splitlines() if line.startswith('| ')]
    assert ['0.7 *', '79.50', '69.50'] in rows
    assert ['tau-norm', 'tau = 0.7', 'tau = 1', '79.50', '70.00'] in rows
    assert [
        'LDAM-DRW-GML-ensemble', 'new_temperature = 1, old_temperature '
        '= 0.03125', 'new_temperature = 1, old_temperature = 0.0333333',
        '75.00', '–'
    ] in rows
    assert '50 images per class (dev_seed 0)' in md
    assert '--epochs 12' in md and 'test set is not used' in md

    # Resumable: a second call runs nothing and gives the same file.
    again = FakeTools(tod)
    monkeypatch.setattr(tod.acc, 'run_command', again)
    assert tod.main([
        '--work-dir',
        str(tmp_path / 'tune'), '--epochs', '12', '--seeds', '0', '1',
        '--methods', TAU_NORM, CE_ENS, LDAM_ENS, '--taus', '0', '0.5', '0.7',
        '1', '--new-temperatures', *NEW_T, '--old-temperatures', *OLD_T
    ])['methods'] == tuned['methods']
    assert again.calls == []
    # A tuner output made with another grid is refused, not mixed.
    with pytest.raises(SystemExit, match='tune.json was made with another'):
        tod.main([
            '--work-dir',
            str(tmp_path / 'tune'), '--epochs', '12', '--seeds', '0',
            '--methods', TAU_NORM, '--taus', '0', '1'
        ])


def test_one_seed_picks_its_own_best(tod, tmp_path, monkeypatch):
    tools = FakeTools(tod)
    monkeypatch.setattr(tod.acc, 'run_command', tools)
    tuned = tod.main([
        '--work-dir',
        str(tmp_path / 'one'), '--seeds', '0', '--methods', TAU_NORM, '--taus',
        '0', '0.5', '0.7', '1'
    ])
    assert tuned['methods'][TAU_NORM]['options'] == ['model.head.tau=0.5']
    assert tuned['recipe'] == dict(epochs=None, quick=False)
    with pytest.raises(SystemExit, match='not a method .* with a post-hoc'):
        tod.main(['--methods', 'CE'])


def run_benchmark(tod, tmp_path, monkeypatch, *extra):
    tools = FakeTools(tod)
    monkeypatch.setattr(tod.acc, 'run_command', tools)
    monkeypatch.setattr(tod.acc, 'device_name', lambda: 'CPU (test)')
    tod.acc.main([
        '--work-dir',
        str(tmp_path / 'bench'), '--epochs', '12', '--seeds', '0', '--methods',
        TAU_NORM, CE_ENS, *extra
    ])
    return tools


def test_benchmark_with_tuned(tod, tmp_path, monkeypatch):
    _, tuned = tune(tod, tmp_path, monkeypatch)
    path = str(tmp_path / 'tune' / 'tuned.json')
    tools = run_benchmark(tod, tmp_path, monkeypatch, '--tuned', path)
    bench = tmp_path / 'bench'

    # tau-norm: a test-only last stage, which gets the value at test.
    record = read_json(bench / 'tau-norm-tuned' / 'seed0' / 'run.json')
    assert record['stages'][-1]['cfg_options'][-1] == 'model.head.tau=0.7'
    assert 'model.head.tau=0.7' not in record['stages'][0]['cfg_options']
    tests = tools.of('tools/test.py')
    tau_test = next(c for c in tests if 'tau-norm-tuned' in c[5])
    assert tau_test[-1] == 'model.head.tau=0.7'
    # The ensemble: its last stage trains and tests with the temperatures.
    options = tuned['methods'][CE_ENS]['options']
    record = read_json(bench / 'CE-GML-ensemble-tuned' / 'seed0' / 'run.json')
    assert record['stages'][-1]['cfg_options'][-2:] == options
    ens_train = next(
        c for c in tools.of('tools/train.py')
        if c[2] == tod.METHODS[CE_ENS][1].config)
    ens_test = next(c for c in tests if 'CE-GML-ensemble-tuned' in c[5])
    for cmd in (ens_train, ens_test):
        assert all(option in cmd for option in options)
    # CE (not tuned) is as without --tuned: no post-hoc value, no dev split,
    # its own folder.
    ce = read_json(bench / 'CE' / 'seed0' / 'run.json')
    assert not any('model.head' in o or 'dev_per_class' in o
                   for o in ce['stages'][0]['cfg_options'])

    md = (bench / 'results.md').read_text()
    assert '--tuned' in md
    line = next(x for x in md.splitlines() if x.startswith('- Post-hoc'))
    assert 'tau-norm: `model.head.tau=0.7`' in line
    assert ('CE-GML-ensemble: `model.head.new_temperature=1.0`, '
            '`model.head.old_temperature=1.0`') in line
    assert '50 images per class' in line and 'dev_seed 0' in line
    assert '--epochs 12' in line and 'never on the test set' in line
    names = [
        line.strip('|').split('|')[0].strip() for line in md.splitlines()
        if line.startswith('| ')
    ]
    assert names[2:] == ['CE', 'tau-norm †', 'CE-GML-ensemble †']
    # Methods not in this benchmark are not listed.
    assert LDAM_ENS not in line


def test_benchmark_without_tuned_is_unchanged(tod, tmp_path, monkeypatch):
    tools = run_benchmark(tod, tmp_path, monkeypatch)
    bench = tmp_path / 'bench'
    assert sorted(os.listdir(bench)) == [
        'CE', 'CE-GML-ensemble', 'claims.md', 'per_class_recall.png',
        'results.csv', 'results.md', 'tau-norm'
    ]
    assert not any('model.head' in o for c in tools.calls for o in c)
    md = (bench / 'results.md').read_text()
    assert 'Post-hoc' not in md and '†' not in md


def write_tuned(tmp_path, **changes):
    tuned = dict(
        recipe=dict(epochs=12, quick=False),
        data=dict(imbalance_factor=100.0, profile='exp'),
        dev_split=dict(dev_per_class=50, dev_seed=0),
        seeds=[0],
        metric='long-tail/top1',
        methods={TAU_NORM: dict(options=['model.head.tau=0.7'])})
    tuned.update(changes)
    path = str(tmp_path / 'tuned.json')
    with open(path, 'w') as f:
        json.dump(tuned, f)
    return path


@pytest.mark.parametrize('changes, message', [
    (dict(recipe=dict(epochs=24, quick=False)),
     'was tuned for --epochs 24, but this benchmark runs --epochs 12'),
    (dict(recipe=dict(epochs=None, quick=True)), 'was tuned for --quick'),
    (dict(data=dict(imbalance_factor=50.0, profile='exp')),
     'tuned on imbalance factor 50.0'),
    (dict(data=dict(imbalance_factor=100.0, profile='step')),
     r'tuned on imbalance factor 100.0 \(step profile\)'),
    (dict(methods={'Nope': dict(options=['a=1'])}), "method 'Nope' is not"),
    (dict(methods={TAU_NORM: dict(options=[])}), 'has no "options"'),
    (dict(dev_split=None), 'is not a tuned.json written by'),
])
def test_mismatched_tuned_is_refused(tod, tmp_path, monkeypatch, changes,
                                     message):
    path = write_tuned(tmp_path, **changes)
    tools = FakeTools(tod)
    monkeypatch.setattr(tod.acc, 'run_command', tools)
    with pytest.raises(SystemExit) as error:
        tod.acc.main([
            '--work-dir',
            str(tmp_path / 'bench'), '--epochs', '12', '--methods', TAU_NORM,
            '--tuned', path
        ])
    text = str(error.value)
    assert re.search(message, text), text
    # The file and the fix are named; nothing ran.
    assert path in text
    assert ('tune_on_dev.py --epochs 12 --imbalance-factor 100 --profile '
            'exp') in text
    assert tools.calls == []


def test_tune_then_benchmark_on_tiny_data(tmp_path, fmnist_root):
    """Both tools for real, 1 epoch on the generated Fashion-MNIST."""
    tiny = ['--quick', '--imbalance-factor', '10', '--data-root', fmnist_root]
    tune_dir = tmp_path / 'tune'
    out = run_tool([
        'tools/benchmarks/tune_on_dev.py', '--work-dir',
        str(tune_dir), '--methods', TAU_NORM, '--dev-per-class', '4', '--taus',
        '0', '1', *tiny
    ]).stdout
    path = tmp_path / 'tune-quick' / 'tuned.json'
    tuned = read_json(path)
    entry = tuned['methods'][TAU_NORM]
    assert tuned['recipe'] == dict(epochs=None, quick=True)
    assert entry['dev_images'] == 40 and len(entry['grid']) == 2
    chosen = entry['value']['tau']
    assert entry['options'] == [f'model.head.tau={float(chosen)!r}']
    tune_json = read_json(tmp_path / 'tune-quick' / TAU_NORM / 'seed0' /
                          'tune.json')
    assert tune_json['split'] == 'dev' and tune_json['size'] == 40
    assert 'benchmark with: python tools/benchmarks/accuracy_benchmark.py' \
        in out

    run_tool([
        'tools/benchmarks/accuracy_benchmark.py', '--work-dir',
        str(tmp_path / 'bench'), '--methods', TAU_NORM, '--tuned',
        str(path), *tiny, '--cfg-options', 'test_evaluator.many_thr=15',
        'test_evaluator.few_thr=5'
    ])
    record = read_json(tmp_path / 'bench-quick' / 'tau-norm-tuned' / 'seed0' /
                       'run.json')
    assert record['stages'][-1]['cfg_options'][-1] == entry['options'][0]
    md = (tmp_path / 'bench-quick' / 'results.md').read_text()
    assert f'tau-norm: `{entry["options"][0]}`' in md
    assert re.search(r'^\| tau-norm † +\|', md, re.M), md
