# Copyright (c) mmlt contributors. All rights reserved.
"""Tune the benchmark's post-hoc values on a development split of the
training pool, never on the test set.

Fashion-MNIST-LT's validation set is its test set, so the accuracy benchmark
(``accuracy_benchmark.py``) runs its post-hoc methods with the configs'
values: τ-norm's τ = 1 and the GML ensembles' temperatures. This tool picks
them on a development split instead. For every method of ``methods.py``
whose last stage has a post-hoc value (found from the config's head:
a head with a ``tau``, e.g. ``TauNormHead``, or an ``EnsembleClsHead``) it

1. trains the method's stages as the benchmark does (its own
   ``run_method_seed``, same ``--epochs`` recipe and data), but on the
   training pool minus a balanced development split:
   ``train_dataloader.dataset.dev_per_class=K`` with ``dev_seed=S`` sets
   aside K images of every class before the long tail is drawn from the
   rest;
2. runs ``tools/analysis/tune_tau_norm.py`` or
   ``tools/analysis/tune_ensemble_temperature.py`` on those K images per
   class (``--dev-per-class K --dev-seed S``), which the model never saw;
3. picks the value with the best dev top-1 (``--metric``), averaged over
   ``--seeds``; ties go to the value closest to the config's (no change
   without evidence), then to the smaller.

Outputs in the work dir: ``tuned.json`` (for ``accuracy_benchmark.py
--tuned``: the recipe, data and development split it was made with, and per
method the chosen ``options``, the metric and the whole grid) and
``tuned.md`` (the grids and the chosen values). Like the benchmark it is
resumable: finished trainings and tuner outputs are kept. Example::

    python tools/benchmarks/tune_on_dev.py --epochs 24
    python tools/benchmarks/accuracy_benchmark.py --epochs 24 \\
        --tuned work_dirs/tune-on-dev-24e/tuned.json

The training set of the models tuned here is the pool less K images per
class (the head class keeps 6,000 - K images, the profile is otherwise the
same); the benchmark's models train on the whole pool and only the chosen
value is carried over.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.fileio import dump, load

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
for _path in (HERE, osp.join(ROOT, 'tools', 'analysis')):
    if _path not in sys.path:
        sys.path.insert(0, _path)
import accuracy_benchmark as acc  # noqa: E402
import tune_ensemble_temperature as temperature_tool  # noqa: E402
import tune_tau_norm as tau_tool  # noqa: E402
from methods import METHODS, Stage  # noqa: E402

from mmlt.models.heads import EnsembleClsHead  # noqa: E402

#: τ grid: the tuner's 0, 0.1, ..., 1 and a few stronger normalisations.
DEFAULT_TAUS = tau_tool.DEFAULT_TAUS + [1.25, 1.5, 2.0]

#: The post-hoc kinds: the tuner, and the head attributes it sets (the keys
#: of its results and the ``model.head.<key>`` options).
KINDS = {
    'tau':
    dict(tool='tools/analysis/tune_tau_norm.py', keys=('tau', )),
    'temperature':
    dict(
        tool='tools/analysis/tune_ensemble_temperature.py',
        keys=('new_temperature', 'old_temperature')),
}
TUNED_FILE = 'tuned.json'
TUNE_FILE = 'tune.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train the post-hoc methods of the accuracy benchmark '
        'on the training pool minus a balanced development split and pick '
        'their post-hoc values (tau, ensemble temperatures) on it.')
    parser.add_argument(
        '--work-dir',
        help='where runs and tuned.json are kept (default: '
        'work_dirs/tune-on-dev, work_dirs/tune-on-dev-<E>e with --epochs '
        'E; --quick appends "-quick")')
    parser.add_argument(
        '--epochs',
        type=int,
        help='the benchmark recipe to tune for (accuracy_benchmark.py '
        '--epochs; default: the configs\' quick recipe)')
    parser.add_argument(
        '--methods',
        nargs='+',
        help='methods to tune (default: every method of methods.py with a '
        'post-hoc value)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0],
        help='values of randomness.seed to train with; the dev metric is '
        'averaged over them (default: 0)')
    parser.add_argument(
        '--dev-per-class',
        type=int,
        default=50,
        help='images per class of the development split, set aside from '
        'the training pool before sub-sampling (default: 50)')
    parser.add_argument(
        '--dev-seed',
        type=int,
        default=0,
        help='seed of the development split (default: 0)')
    parser.add_argument(
        '--metric',
        default='long-tail/top1',
        help='the dev metric to maximise (default: long-tail/top1)')
    parser.add_argument(
        '--taus',
        nargs='+',
        type=float,
        default=DEFAULT_TAUS,
        help='tau grid (default: 0, 0.1, ..., 1.0, 1.25, 1.5, 2.0)')
    parser.add_argument(
        '--new-temperatures',
        nargs='+',
        type=float,
        default=temperature_tool.DEFAULT_TEMPERATURES,
        help='t_new grid (default: 1/32, 1/16, ..., 8)')
    parser.add_argument(
        '--old-temperatures',
        nargs='+',
        type=float,
        default=temperature_tool.DEFAULT_TEMPERATURES,
        help='t_old grid (default: 1/32, 1/16, ..., 8)')
    acc.add_data_arguments(parser)
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke test: first seed only, 1 epoch per stage, in '
        'WORK_DIR-quick (pairs with accuracy_benchmark.py --quick)')
    parser.add_argument(
        '--out',
        help=f'the tuned values (default: WORK_DIR/{TUNED_FILE}; the '
        f'markdown table goes next to it)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra overrides for every run (as accuracy_benchmark.py\'s)')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='show the train/tune output instead of logging it to files')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# Which methods, which values
# --------------------------------------------------------------------------
def post_hoc_kind(stages: Sequence[Stage]) -> Optional[str]:
    """``'tau'``, ``'temperature'`` or None, from the last stage's head.

    A head with a ``tau`` property (``TauNormHead``,
    ``LogitAdjustedLinearClsHead``) is tuned by ``tune_tau_norm.py``; an
    ``EnsembleClsHead`` by ``tune_ensemble_temperature.py``.
    """
    from mmpretrain.registry import MODELS
    head = acc.load_config(stages[-1].config).model.get('head')
    kind = head.get('type') if isinstance(head, dict) else None
    cls = MODELS.get(kind) if isinstance(kind, str) else kind
    if not isinstance(cls, type):
        return None
    if issubclass(cls, EnsembleClsHead):
        return 'temperature'
    if isinstance(getattr(cls, 'tau', None), property):
        return 'tau'
    return None


def tunable_methods() -> Dict[str, str]:
    """Every method of ``METHODS`` with a post-hoc value, and its kind."""
    kinds = {name: post_hoc_kind(stages) for name, stages in METHODS.items()}
    return {name: kind for name, kind in kinds.items() if kind}


def dev_options(dev_per_class: int, dev_seed: int) -> List[str]:
    """Overrides that set the development split aside from the training
    set."""
    return [
        f'train_dataloader.dataset.dev_per_class={dev_per_class}',
        f'train_dataloader.dataset.dev_seed={dev_seed}'
    ]


def grid_args(kind: str, args) -> List[str]:
    """The tuner's grid flags."""
    if kind == 'tau':
        return ['--taus', *map(repr, args.taus)]
    return [
        '--new-temperatures', *map(repr, args.new_temperatures),
        '--old-temperatures', *map(repr, args.old_temperatures)
    ]


def grid_points(kind: str, args) -> List[tuple]:
    """The grid in the tuner's order."""
    if kind == 'tau':
        return [(t, ) for t in args.taus]
    return [(n, o) for n in args.new_temperatures
            for o in args.old_temperatures]


def format_value(value: float) -> str:
    """A float as ``--cfg-options`` reads it back exactly."""
    return repr(float(value))


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------
def tune_seed(method: str, kind: str, record: dict, seed_dir: str,
              args) -> dict:
    """Run the method's tuner on the development split once (re-use its
    output if there is one made the same way).

    Args:
        record (dict): The method's run record (``run_method_seed`` without
            the test): its last stage names the checkpoint and the options.

    Returns:
        dict: The tuner's JSON.
    """
    last = record['stages'][-1]
    path = osp.join(seed_dir, TUNE_FILE)
    keys = KINDS[kind]['keys']
    if not osp.isfile(path):
        cmd = [
            sys.executable, KINDS[kind]['tool'], last['config'],
            last['checkpoint'], '--dev-per-class',
            str(args.dev_per_class), '--dev-seed',
            str(args.dev_seed), '--metric', args.metric, '--out', path,
            '--work-dir',
            osp.join(seed_dir, 'tune'), *grid_args(kind, args),
            '--cfg-options', *last['cfg_options']
        ]
        acc.run_command(cmd, osp.join(seed_dir, 'tune.log'), args.verbose)
    if not osp.isfile(path):
        raise acc.RunFailed(f'{KINDS[kind]["tool"]} wrote no {path}.')
    result = load(path)
    made = (result.get('split'), result.get('dev_per_class'),
            result.get('dev_seed'), result.get('metric'),
            result.get('checkpoint'),
            [tuple(r[k] for k in keys) for r in result.get('results', [])])
    wanted = ('dev', args.dev_per_class, args.dev_seed, args.metric,
              last['checkpoint'], grid_points(kind, args))
    if made != wanted:
        raise SystemExit(f'{path} was made with another development split, '
                         f'metric, checkpoint or grid than this call asks '
                         f'for; delete it (or pick another --work-dir).')
    return result


def aggregate(kind: str, per_seed: Dict[int, dict]) -> List[dict]:
    """Mean over seeds of every metric at every grid point.

    Args:
        per_seed (dict[int, dict]): The tuner's JSON per seed (same grid).

    Returns:
        list[dict]: Per grid point, the value keys, ``metrics`` (means) and
        ``per_seed`` (seed -> metrics).
    """
    keys = KINDS[kind]['keys']
    seeds = sorted(per_seed)
    grid = []
    for i, first in enumerate(per_seed[seeds[0]]['results']):
        rows = {s: per_seed[s]['results'][i]['metrics'] for s in seeds}
        metrics = {
            name: float(np.mean([rows[s][name] for s in seeds]))
            for name, value in first['metrics'].items()
            if isinstance(value, (int, float))
        }
        point = {k: first[k] for k in keys}
        grid.append(dict(**point, metrics=metrics, per_seed=rows))
    return grid


def select(kind: str, grid: List[dict], metric: str, default: tuple) -> dict:
    """The best grid point; ties go to the config's value (the tuners'
    own rule, shared)."""
    if kind == 'tau':
        return tau_tool.best_tau(grid, metric, default[0])
    return temperature_tool.best_pair(grid, metric, default)


def method_entry(kind: str, per_seed: Dict[int, dict], metric: str) -> dict:
    """A method's entry of ``tuned.json``."""
    keys = KINDS[kind]['keys']
    first = per_seed[min(per_seed)]
    default = tuple(first[f'default_{k}'] for k in keys)
    grid = aggregate(kind, per_seed)
    best = select(kind, grid, metric, default)
    at_default = next(
        (p for p in grid if tuple(p[k] for k in keys) == default), None)
    return dict(
        kind=kind,
        config=first['config'],
        head=first['head'],
        options=[f'model.head.{k}={format_value(best[k])}' for k in keys],
        value={k: best[k]
               for k in keys},
        default=dict(zip(keys, default)),
        metric=metric,
        best_value=best['metrics'][metric],
        default_value=None
        if at_default is None else at_default['metrics'][metric],
        dev_images=first.get('size'),
        checkpoints={str(s): per_seed[s]['checkpoint']
                     for s in per_seed},
        grid=grid)


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------
def _cell(value: Optional[float]) -> str:
    return acc.MISSING if value is None else f'{value:.2f}'


def grid_table(entry: dict) -> str:
    """The grid of one method as Markdown, the chosen value marked ``*``.

    τ: one row per τ with the dev metrics. Temperatures: the selection
    metric as a t_new × t_old matrix.
    """
    metric = entry['metric']
    grid = entry['grid']
    if entry['kind'] == 'tau':
        names = [metric] + [
            m for m in ('long-tail/hmean_recall', 'long-tail/lowest_recall')
            if m != metric and m in grid[0]['metrics']
        ]
        rows = []
        for point in grid:
            mark = ' *' if point['tau'] == entry['value']['tau'] else ''
            rows.append([f'{point["tau"]:g}{mark}'] +
                        [_cell(point['metrics'].get(m)) for m in names])
        return acc.markdown_table(['τ'] +
                                  [f'dev {m.split("/")[-1]}' for m in names],
                                  rows)
    new = sorted({p['new_temperature'] for p in grid})
    old = sorted({p['old_temperature'] for p in grid})
    value = {(p['new_temperature'], p['old_temperature']): p['metrics'][metric]
             for p in grid}
    chosen = (entry['value']['new_temperature'],
              entry['value']['old_temperature'])
    rows = []
    for t_new in new:
        cells = [f'{t_new:g}']
        for t_old in old:
            mark = ' *' if (t_new, t_old) == chosen else ''
            cells.append(_cell(value.get((t_new, t_old))) + mark)
        rows.append(cells)
    return acc.markdown_table(
        [f't_new \\ t_old (dev {metric.split("/")[-1]})'] +
        [f'{t:g}' for t in old], rows)


def write_markdown(path: str, tuned: dict) -> str:
    dev = tuned['dev_split']
    metric = tuned['metric']
    short = metric.split('/')[-1]
    lines = [
        f'### Post-hoc values tuned on the development split '
        f'(Fashion-MNIST-LT, imbalance factor '
        f'{tuned["data"]["imbalance_factor"]:g}, '
        f'{tuned["data"]["profile"]} profile)' +
        (' — quick smoke run, not a result'
         if tuned['recipe']['quick'] else ''),
        '',
        f'Command: `{tuned["command"]}`',
        '',
        f'- Development split: {dev["dev_per_class"]} images per class '
        f'(dev_seed {dev["dev_seed"]}) set aside from the training pool '
        f'before the long tail is drawn from the rest; the models were '
        f'trained on that rest with the benchmark\'s recipe '
        f'({acc.describe_recipe(tuned["recipe"])}) and seeds '
        f'{", ".join(map(str, tuned["seeds"]))}, and never saw these '
        f'images. The test set is not used.',
        f'- Selection: the highest dev {short} (mean over seeds); ties go '
        f'to the value closest to the config\'s, then to the smaller. Use '
        f'with `accuracy_benchmark.py --tuned {tuned["out"]}`.',
        '',
    ]
    rows = []
    for method, entry in tuned['methods'].items():
        rows.append([
            method,
            ', '.join(f'{k} = {v:g}' for k, v in entry['value'].items()),
            ', '.join(f'{k} = {v:g}' for k, v in entry['default'].items()),
            _cell(entry['best_value']),
            _cell(entry['default_value'])
        ])
    lines.append(
        acc.markdown_table([
            'Method', 'Chosen', 'Config', f'Dev {short} (chosen)',
            f'Dev {short} (config)'
        ], rows))
    for method, entry in tuned['methods'].items():
        lines += [
            '', f'#### {method} ({entry["head"]}, {entry["dev_images"]} dev '
            f'images)', '',
            grid_table(entry)
        ]
    text = '\n'.join(lines) + '\n'
    with open(path, 'w') as f:
        f.write(text)
    return text


def display_path(path: str) -> str:
    """A path relative to the repository root if it is inside it."""
    relative = osp.relpath(path, ROOT)
    return path if relative.startswith('..') else relative


def main(argv=None):
    args = parse_args(argv)
    work_dir = acc.recipe_work_dir(args, 'work_dirs/tune-on-dev')
    if args.dev_per_class < 1:
        raise SystemExit(f'--dev-per-class must be >= 1, got '
                         f'{args.dev_per_class}.')
    if any(not t >= 0 for t in args.taus):
        raise SystemExit(f'--taus must be >= 0, got {args.taus}.')
    for name in ('new_temperatures', 'old_temperatures'):
        if any(not t > 0 for t in getattr(args, name)):
            raise SystemExit(f'--{name.replace("_", "-")} must be > 0, got '
                             f'{getattr(args, name)}.')
    tunable = tunable_methods()
    unknown = sorted(set(args.methods or []) - set(tunable))
    if unknown:
        raise SystemExit(
            f'--methods {" ".join(unknown)}: not a method of '
            f'tools/benchmarks/methods.py with a post-hoc value; choose from '
            f'{", ".join(tunable)}.')
    methods = [m for m in tunable if m in (args.methods or tunable)]
    seeds = args.seeds[:1] if args.quick else args.seeds
    out = osp.abspath(args.out or osp.join(work_dir, TUNED_FILE))
    options = acc.common_options(args) + dev_options(args.dev_per_class,
                                                     args.dev_seed)

    results: Dict[str, Dict[int, dict]] = {m: {} for m in methods}
    failures = []
    for seed in seeds:
        # A first stage shared by several methods (the CE model of tau-norm
        # and CE-GML-ensemble) trains once per seed, as in the benchmark.
        shared: Dict[tuple, dict] = {}
        for method in methods:
            seed_dir = osp.join(work_dir, method, f'seed{seed}')
            prefix = f'{method} seed={seed}'
            print(
                f'{prefix}: training on the pool minus the development '
                f'split...',
                flush=True)
            try:
                record, _ = acc.run_method_seed(
                    method,
                    seed,
                    METHODS[method],
                    options + [f'randomness.seed={seed}'],
                    seed_dir,
                    args.quick,
                    args.verbose,
                    shared,
                    args.epochs,
                    test=False)
                acc.remember_first_stage(record, seed_dir, shared)
                result = tune_seed(method, tunable[method], record, seed_dir,
                                   args)
            except acc.RunFailed as error:
                print(f'{prefix}: FAILED: {error}', flush=True)
                failures.append(f'{method} seed={seed}')
                continue
            results[method][seed] = result
            print(
                f'{prefix}: dev {args.metric} '
                f'{result["best_value"]:.2f} at the seed\'s best',
                flush=True)

    tuned = dict(
        tool='tools/benchmarks/tune_on_dev.py',
        command=acc.command_line(argv, __file__),
        out=display_path(out),
        recipe=acc.recipe_of(args),
        data=acc.data_of(args),
        dev_split=dict(
            dev_per_class=args.dev_per_class, dev_seed=args.dev_seed),
        seeds=seeds,
        metric=args.metric,
        methods={
            method: method_entry(tunable[method], per_seed, args.metric)
            for method, per_seed in results.items()
            if per_seed and len(per_seed) == len(seeds)
        })
    if tuned['methods']:
        os.makedirs(osp.dirname(out), exist_ok=True)
        dump(tuned, out, file_format='json', indent=2)
        md = write_markdown(osp.splitext(out)[0] + '.md', tuned)
        print('\n' + md)
        print(f'Written: {out} and {osp.splitext(out)[0]}.md; benchmark '
              f'with: python tools/benchmarks/accuracy_benchmark.py '
              f'{acc.tune_flags(tuned["recipe"], tuned["data"])} --tuned '
              f'{tuned["out"]}')
    if failures:
        raise SystemExit(f'{len(failures)} run(s) failed: '
                         f'{", ".join(failures)}; re-run the same command to '
                         f'retry them (finished runs are kept).')
    return tuned


if __name__ == '__main__':
    main()
