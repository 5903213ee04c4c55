# Copyright (c) mmlt contributors. All rights reserved.
"""Accuracy benchmark: every method of ``methods.py`` on Fashion-MNIST-LT.

Each (method, seed) is trained with ``tools/train.py`` and tested with
``tools/test.py``, one subprocess each, in
``WORK_DIR/<method>/seed<k>/stage<i>``; then the long-tail table (mean ± std
over seeds) and a per-class recall figure are written::

    python tools/benchmarks/accuracy_benchmark.py              # everything
    python tools/benchmarks/accuracy_benchmark.py --methods CE cRT
    python tools/benchmarks/accuracy_benchmark.py --quick      # smoke test

Outputs in the work dir: ``results.md`` (the table with the command, data,
seeds and recipe, ready for the README), ``results.csv`` (full precision),
``claims.md`` (the papers' claims judged against the seeds' spread,
``claims.py``) and ``per_class_recall.png``. CE always runs first: it is
the time baseline.

The benchmark is resumable. A finished (method, seed) keeps its numbers and
times in ``WORK_DIR/<method>/seed<k>/run.json`` and is never run again; an
interrupted training continues with ``--resume``. ``--quick`` (1 seed, 1
epoch per stage) writes to ``WORK_DIR-quick`` so smoke runs never mix
with real ones. Trainings do not validate (``--no-validate``: the
benchmark tests the last checkpoint), except the stages marked
``validate=True`` in ``methods.py``, which read the validation accuracy while
training (GLAG's adaptive confidence, on a development split of the
training pool); their validation time is part of their training time. A
first stage shared by several methods (the CE model of cRT, LWS and
tau-norm) is trained once per seed and counted in each method's time.

Every seed trains on the same long-tailed split (the dataset's own ``seed``);
``randomness.seed`` changes the initialisation, data order and augmentation.
The time of a method is its training time (subprocess start to exit,
summed over stages, the final test excluded), averaged over seeds and
divided by CE's from the same work dir. On CPU the ratio uses the CPU time
(user + system) of the training processes, which other jobs on the machine
hardly change; the wall time is reported next to it. On GPU the ratio uses
the wall time.

Post-hoc values (τ-norm's τ, the GML ensembles' temperatures) are the
configs' unless ``--tuned tuned.json`` names values that
``tools/benchmarks/tune_on_dev.py`` chose on a development split of the
training pool for the same recipe and data: they are appended to the last
stage's ``--cfg-options`` of each listed method, whose runs then live in
``WORK_DIR/<method>-tuned/`` (so the configs' runs stay, and every other
method's runs are re-used), and the table's header lists them.
"""
import argparse
import csv
import functools
import glob
import itertools
import os
import os.path as osp
import platform
import resource
import shlex
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from mmengine.config import Config
from mmengine.fileio import dump, load

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
# The method list lives next to this file; the table layout is the one of
# tools/analysis/compare_work_dirs.py (shared, not copied).
for _path in (HERE, osp.join(ROOT, 'tools', 'analysis')):
    if _path not in sys.path:
        sys.path.insert(0, _path)
from claims import claim_rows, claims_markdown  # noqa: E402
from compare_work_dirs import COLUMNS, MISSING, markdown_table  # noqa: E402
from methods import METHODS, Stage  # noqa: E402
from recipe import recipe_options, stage_lengths  # noqa: E402

BASELINE = 'CE'
RUN_FILE = 'run.json'
# DictAction (--cfg-options) splits values on these and drops spaces.
_UNSAFE_IN_OPTIONS = set(' \t\n,()[]\'"')


class RunFailed(RuntimeError):
    """A train or test subprocess exited with an error."""


def add_data_arguments(parser) -> None:
    """``--imbalance-factor``, ``--profile`` and ``--data-root``: the data
    of every run, shared by the benchmark's tools (learning_curve.py,
    tune_on_dev.py) so that their runs match the benchmark's."""
    parser.add_argument(
        '--imbalance-factor',
        type=float,
        default=100,
        help='n_max / n_min of the training set (default: 100)')
    parser.add_argument(
        '--profile',
        choices=['exp', 'step'],
        default='exp',
        help='long-tail profile of the training set (default: exp)')
    parser.add_argument(
        '--data-root',
        default=osp.join(ROOT, 'data', 'fashion_mnist'),
        help='folder of the Fashion-MNIST *-ubyte files, for the train, '
        'val and test sets (default: data/fashion_mnist)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train and test every long-tail method on '
        'Fashion-MNIST-LT over several seeds and tabulate mean ± std.')
    parser.add_argument(
        '--work-dir',
        help='where runs and results are kept (default: work_dirs/benchmark '
        'for the quick recipe, work_dirs/benchmark-<E>e with --epochs E; '
        '--quick appends "-quick")')
    parser.add_argument(
        '--epochs',
        type=int,
        help='length of the recipe, a multiple of 6: one-stage methods '
        'train E epochs, two-stage methods E - E/6 then E/6, with every '
        'epoch index scaled (tools/benchmarks/recipe.py). Default: the '
        'configs\' quick recipe (6 epochs, a second stage adds 2)')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=list(METHODS),
        help=f'methods to run (default: all); {BASELINE} is always added '
        f'as the time baseline')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0, 1],
        help='values of randomness.seed (default: 0 1)')
    add_data_arguments(parser)
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke test: first seed only, 1 epoch per stage, in '
        'WORK_DIR-quick')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='extra overrides for every train and test run')
    parser.add_argument(
        '--tuned',
        metavar='TUNED_JSON',
        help='post-hoc values chosen on the development split by '
        'tools/benchmarks/tune_on_dev.py for this recipe and data: each '
        'listed method runs with them (in WORK_DIR/<method>-tuned) and the '
        'table says which (default: the configs\' values)')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='train and test nothing: tabulate the (method, seed) runs that '
        'have finished, e.g. while a long benchmark is still running; the '
        'Seeds column says how many each row has')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='show the train/test output instead of logging it to files')
    return parser.parse_args(argv)


# --------------------------------------------------------------------------
# Table maths
# --------------------------------------------------------------------------
def mean_std(
    values: Sequence[Optional[float]]
) -> Tuple[Optional[float], Optional[float], int]:
    """Mean and sample standard deviation of the known values.

    Args:
        values (Sequence[float | None]): One value per seed; None or NaN
            for a value a run did not report (e.g. an empty class group).

    Returns:
        tuple: ``(mean, std, n)``; ``std`` uses ``n - 1`` degrees of
        freedom and is None below two values; ``mean`` is None without
        values.
    """
    known = [
        float(v) for v in values if v is not None and not np.isnan(float(v))
    ]
    if not known:
        return None, None, 0
    std = float(np.std(known, ddof=1)) if len(known) > 1 else None
    return float(np.mean(known)), std, len(known)


def format_mean_std(mean: Optional[float],
                    std: Optional[float],
                    digits: int = 2) -> str:
    """``'81.23 ± 0.45'``; the mean alone without std; a dash without
    mean."""
    if mean is None:
        return MISSING
    if std is None:
        return f'{mean:.{digits}f}'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def relative_time(seconds: Optional[float],
                  baseline: Optional[float]) -> Optional[float]:
    """``seconds / baseline``, or None when either is unknown."""
    if seconds is None or not baseline:
        return None
    return seconds / baseline


def summarize(records: List[dict]) -> dict:
    """Aggregate the finished runs (seeds) of one method.

    Args:
        records (list[dict]): The ``run.json`` contents of its seeds.

    Returns:
        dict: ``metrics`` (key -> ``(mean, std, n)``), ``seeds``,
        ``train_s`` (mean over seeds of the training wall time summed over
        stages), ``cpu_s`` (the same for CPU time; None if a record has
        none), ``time_complete``, ``epochs`` (summed over stages),
        ``stage_epochs`` (those of the trained stages), ``per_class`` (rows
        with ``class_index``, ``class``, ``train_count`` and the mean
        ``recall``) and ``groups``.
    """
    metrics = {
        key: mean_std([r['metrics'].get(key) for r in records])
        for _, key in COLUMNS
    }
    train_s = [sum(s['wall_s'] for s in r['stages']) for r in records]
    # Records written before CPU time was measured have none.
    cpu_known = all('cpu_s' in s for r in records for s in r['stages'])
    cpu_s = [sum(s.get('cpu_s', 0.0) for s in r['stages']) for r in records]
    first = records[0]
    per_class = []
    for i, row in enumerate(first['per_class']):
        recall = mean_std([r['per_class'][i]['recall'] for r in records])[0]
        per_class.append(
            dict(
                class_index=row['class_index'],
                name=row['class'],
                train_count=row['train_count'],
                recall=recall))
    return dict(
        metrics=metrics,
        seeds=[r['seed'] for r in records],
        train_s=mean_std(train_s)[0],
        cpu_s=mean_std(cpu_s)[0] if cpu_known else None,
        time_complete=all(
            s.get('time_complete', True) for r in records
            for s in r['stages']),
        epochs=sum(s['epochs'] for s in first['stages']),
        stage_epochs=[s['epochs'] for s in first['stages'] if s['epochs']],
        # What this method's runs cost the machine: its own stages (a
        # shared first stage counts where it was trained) and its tests.
        own_wall_s=sum(s['wall_s'] for r in records
                       for s in r['stages'] if 'shared_from' not in s) +
        sum(r.get('test', {}).get('wall_s', 0.0) for r in records),
        own_cpu_s=sum(
            s.get('cpu_s', 0.0) for r in records for s in r['stages']
            if 'shared_from' not in s),
        per_class=per_class,
        groups=first.get('groups') or {},
        test_images=sum(row.get('support') or 0 for row in first['per_class']),
        devices=sorted({r.get('device', '?')
                        for r in records}))


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------
def check_option_value(name: str, value: str) -> str:
    """Refuse values that ``--cfg-options`` would mangle."""
    bad = _UNSAFE_IN_OPTIONS.intersection(value)
    if bad:
        raise SystemExit(f'{name} {value!r} contains {sorted(bad)}, which '
                         f'--cfg-options cannot pass; use another path.')
    return value


def common_options(args) -> List[str]:
    """Overrides of every train and test run, without the seed."""
    root = check_option_value('--data-root', osp.abspath(args.data_root))
    options = [
        f'train_dataloader.dataset.imbalance_factor={args.imbalance_factor:g}',
        f'train_dataloader.dataset.profile={args.profile}',
        f'train_dataloader.dataset.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
    ]
    if args.quick:
        options.append('train_cfg.max_epochs=1')
    return options + list(args.cfg_options)


def stage_options(stage: Stage, options: Sequence[str]) -> List[str]:
    """The ``--cfg-options`` of a stage's train and test runs.

    The common options, then the stage's own. A validating stage whose
    validation dataset wraps another (a development split of the training
    pool, ``LongTailDataset(split='dev')``) gets the data root on the
    wrapped dataset, where ``--data-root`` must go. Stages that do not
    validate never build their validation loader, so their options stay as
    they are (and finished runs keep matching their records).
    """
    options = list(options)
    if stage.validate:
        key = val_data_root_key(stage.config)
        prefix = 'val_dataloader.dataset.data_root='
        options = [
            key + '=' + o[len(prefix):] if o.startswith(prefix) else o
            for o in options
        ]
    return options + list(stage.cfg_options)


def val_data_root_key(config: str) -> str:
    """``val_dataloader.dataset[.dataset...].data_root``: the data root of
    the innermost dataset of the config's validation loader."""
    dataset = load_config(config).val_dataloader.dataset
    key = 'val_dataloader.dataset'
    while 'data_root' not in dataset and isinstance(
            dataset.get('dataset'), dict):
        dataset = dataset.dataset
        key += '.dataset'
    return key + '.data_root'


def stage_epochs(stage: Stage, options: Sequence[str]) -> int:
    """Training epochs of a stage after the overrides."""
    if not stage.train:
        return 0
    for option in reversed(list(options) + list(stage.cfg_options)):
        key, _, value = option.partition('=')
        if key == 'train_cfg.max_epochs':
            return int(value)
    return config_max_epochs(stage.config)


@functools.lru_cache(maxsize=None)
def load_config(config: str) -> Config:
    return Config.fromfile(osp.join(ROOT, config))


def config_max_epochs(config: str) -> int:
    return int(load_config(config).train_cfg.get('max_epochs', 0))


def device_name() -> str:
    """The device the subprocesses train on (mmengine picks CUDA if any)."""
    import torch
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f'CPU ({os.cpu_count()} cores, {platform.machine()})'


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``work_dir/last_checkpoint``, if any."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        return f.read().strip() or None


def latest_test_json(work_dir: str) -> Optional[str]:
    """The newest ``<timestamp>/per_class/test*.json`` of a work dir."""
    found = glob.glob(osp.join(work_dir, '*', 'per_class', 'test*.json'))
    return max(found, key=osp.getmtime) if found else None


def children_cpu_seconds() -> float:
    """User + system CPU time of this process's finished subprocesses."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(cmd: List[str], log_file: str, verbose: bool) -> float:
    """Run a tool from the repository root; return its wall time.

    The output is appended to ``log_file`` (streamed when ``verbose``).
    """
    start = time.perf_counter()
    if verbose:
        proc = subprocess.run(cmd, cwd=ROOT)
    else:
        with open(log_file, 'a') as log:
            log.write('+ ' + shlex.join(cmd) + '\n')
            log.flush()
            proc = subprocess.run(
                cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = ''
        if not verbose:
            with open(log_file) as f:
                tail = ''.join(f.readlines()[-25:])
        raise RunFailed(f'{shlex.join(cmd)} exited with {proc.returncode}; '
                        f'log: {log_file}\n{tail}')
    return elapsed


def save_record(path: str, record: dict) -> None:
    # Write-then-rename: an interruption never leaves half a record.
    dump(record, path + '.tmp', file_format='json', indent=2)
    os.replace(path + '.tmp', path)


def is_tested(record: dict, seed_dir: str) -> bool:
    """Whether a run record is finished and tested (its test JSON there)."""
    return 'metrics' in record and osp.isfile(
        osp.join(seed_dir, record['test']['json']))


def finished_run(seed_dir: str) -> bool:
    """Whether a (method, seed) folder holds a finished, tested run."""
    path = osp.join(seed_dir, RUN_FILE)
    return osp.isfile(path) and is_tested(load(path), seed_dir)


def new_record(method: str,
               seed: int,
               stages: List[Stage],
               options: List[str],
               epochs: Optional[int] = None) -> dict:
    """The ``run.json`` of a (method, seed) before anything ran.

    Args:
        epochs (int, optional): The recipe's length (:mod:`recipe`): each
            stage gets the ``--cfg-options`` of its share. Defaults to None
            (the configs' quick recipe).
    """
    lengths = [None] * len(stages) if epochs is None else stage_lengths(
        [stage.train for stage in stages], epochs)
    states = []
    for stage, length in zip(stages, lengths):
        recipe = [] if not length else recipe_options(
            load_config(stage.config), length, stage.config)
        cfg_options = stage_options(stage, list(options) + recipe)
        states.append(
            dict(
                config=stage.config,
                cfg_options=cfg_options,
                train=stage.train,
                validate=stage.validate,
                epochs=stage_epochs(stage, cfg_options),
                wall_s=0.0,
                cpu_s=0.0,
                done=False))
    return dict(method=method, seed=seed, stages=states)


def check_record(record: dict, expected: dict, path: str) -> None:
    """Refuse to continue a run made with other stages or options."""

    def signature(rec):
        # Records written before `validate` existed did not validate.
        return [(s['config'], s['cfg_options'], s['train'],
                 s.get('validate', False)) for s in rec['stages']]

    if signature(record) != signature(expected):
        raise SystemExit(
            f'{path} was made with other stages or options than this call '
            f'asks for ({signature(record)} vs {signature(expected)}); '
            f'delete its folder or pick another --work-dir.')


def stage_key(state: dict) -> Tuple[str, Tuple[str, ...], bool]:
    """What identifies the training of a first stage: config, options and
    whether it validated."""
    return (state['config'], tuple(state['cfg_options']),
            state.get('validate', False))


def remember_first_stage(record: dict, seed_dir: str,
                         shared: Dict[tuple, dict]) -> None:
    """Offer a finished first stage to later methods of the same seed."""
    first = record['stages'][0]
    if first['train'] and first['done'] and 'shared_from' not in first:
        shared.setdefault(
            stage_key(first),
            dict(
                checkpoint=first['checkpoint'],
                wall_s=first['wall_s'],
                cpu_s=first.get('cpu_s'),
                time_complete=first.get('time_complete', True),
                seed_dir=seed_dir))


def run_method_seed(method: str,
                    seed: int,
                    stages: List[Stage],
                    options: List[str],
                    seed_dir: str,
                    quick: bool,
                    verbose: bool,
                    shared: Optional[Dict[tuple, dict]] = None,
                    epochs: Optional[int] = None,
                    test: bool = True) -> Tuple[dict, bool]:
    """Train every stage of a method, then test the last one.

    A first stage that another method of the same seed already trained
    with the same config and options (e.g. the CE model under cRT, LWS and
    tau-norm) is not trained again: its checkpoint is used and its wall
    time counted, since a user of the method has to train it too.

    Args:
        shared (dict, optional): First stages trained so far, from
            :func:`remember_first_stage`. Defaults to None (share nothing).
        epochs (int, optional): The recipe's length, see
            :func:`new_record`. Defaults to None (the configs' recipe).
        test (bool): Test the last stage. Defaults to True. Without, the
            record has no metrics and the last stage's checkpoint is that
            of the last trained stage (``tune_on_dev.py`` tunes it on the
            development split, never on the test set).

    Returns:
        tuple: the run record and whether it was re-used unchanged.
    """
    shared = {} if shared is None else shared
    os.makedirs(seed_dir, exist_ok=True)
    path = osp.join(seed_dir, RUN_FILE)
    expected = new_record(method, seed, stages, options, epochs)
    record = load(path) if osp.isfile(path) else expected
    check_record(record, expected, path)
    if is_tested(record, seed_dir):
        return record, True

    checkpoint = None
    for i, (stage, state) in enumerate(zip(stages, record['stages']), 1):
        stage_dir = osp.join(seed_dir, f'stage{i}')
        if state['done']:
            checkpoint = state['checkpoint']
            continue
        if i == 1 and stage.train and stage_key(state) in shared:
            done = shared[stage_key(state)]
            state.update(
                done=True,
                checkpoint=done['checkpoint'],
                wall_s=done['wall_s'],
                cpu_s=done['cpu_s'],
                time_complete=done['time_complete'],
                shared_from=osp.relpath(done['seed_dir'], seed_dir))
            checkpoint = done['checkpoint']
            save_record(path, record)
            continue
        if not stage.train:
            if checkpoint is None:
                raise SystemExit(f'{method}: a test-only stage needs a '
                                 f'trained stage before it.')
            state.update(done=True, checkpoint=checkpoint)
            continue
        cmd = [
            sys.executable, 'tools/train.py', stage.config, '--work-dir',
            stage_dir
        ]
        # An earlier attempt that left no time behind was killed hard: its
        # time is lost, say so rather than under-report it.
        if state.get('running'):
            state['time_complete'] = False
        if last_checkpoint(stage_dir):
            cmd.append('--resume')
        # The benchmark tests the last checkpoint itself: validating during
        # training would only add evaluation time to the training time,
        # unless the method reads the validation (GLAG's adaptive
        # confidence).
        if not state.get('validate', False):
            cmd.append('--no-validate')
        cmd += ['--cfg-options', *state['cfg_options']]
        if checkpoint is not None:
            cmd.append(f'load_from={checkpoint}')
        state['running'] = True
        save_record(path, record)
        start = time.perf_counter()
        start_cpu = children_cpu_seconds()
        try:
            run_command(cmd, osp.join(seed_dir, f'stage{i}_train.log'),
                        verbose)
        finally:
            # Also on Ctrl-C or failure: the resumed run adds to it.
            state['wall_s'] += time.perf_counter() - start
            state['cpu_s'] = state.get('cpu_s', 0.0) + \
                children_cpu_seconds() - start_cpu
            state['running'] = False
            save_record(path, record)
        checkpoint = last_checkpoint(stage_dir)
        if checkpoint is None:
            raise RunFailed(f'{stage_dir}: training wrote no checkpoint.')
        state.update(done=True, checkpoint=checkpoint)
        save_record(path, record)

    if not test:
        save_record(path, record)
        return record, False
    last = stages[-1]
    test_dir = osp.join(seed_dir, f'stage{len(stages)}')
    os.makedirs(test_dir, exist_ok=True)
    test_wall = run_command([
        sys.executable, 'tools/test.py', last.config, checkpoint, '--work-dir',
        test_dir, '--cfg-options', *record['stages'][-1]['cfg_options']
    ], osp.join(seed_dir, 'test.log'), verbose)
    result_path = latest_test_json(test_dir)
    if result_path is None:
        raise RunFailed(f'{test_dir}: the test wrote no per-class JSON; is '
                        f'PerClassRecallHook in the config?')
    result = load(result_path)
    record.update(
        test=dict(json=osp.relpath(result_path, seed_dir), wall_s=test_wall),
        metrics=result['metrics'],
        groups=result.get('groups'),
        per_class=[{
            key: row[key]
            for key in ('class_index', 'class', 'train_count', 'support',
                        'recall')
        } for row in result['per_class']],
        device=device_name())
    save_record(path, record)
    return record, False


# --------------------------------------------------------------------------
# Post-hoc values tuned on the development split (tune_on_dev.py)
# --------------------------------------------------------------------------
TUNED_SUFFIX = '-tuned'


def recipe_of(args) -> dict:
    """The recipe a tuned value is valid for: ``--epochs`` and
    ``--quick``."""
    return dict(epochs=args.epochs, quick=bool(args.quick))


def data_of(args) -> dict:
    """The training data a tuned value is valid for."""
    return dict(
        imbalance_factor=float(args.imbalance_factor), profile=args.profile)


def describe_recipe(recipe: dict) -> str:
    if recipe.get('quick'):
        return '--quick (1 epoch per stage)'
    if recipe.get('epochs'):
        return f'--epochs {recipe["epochs"]}'
    return 'the configs\' quick recipe (no --epochs)'


def tune_flags(recipe: dict, data: dict) -> str:
    """The ``tune_on_dev.py`` flags that tune for a recipe and data."""
    flags = ['--quick'] if recipe.get('quick') else []
    if recipe.get('epochs'):
        flags += ['--epochs', str(recipe['epochs'])]
    flags += [
        '--imbalance-factor', f'{data["imbalance_factor"]:g}', '--profile',
        data['profile']
    ]
    return ' '.join(flags)


def load_tuned(path: str, args) -> dict:
    """Read a ``tuned.json`` and refuse one made for another recipe or data.

    Args:
        path (str): The file written by ``tools/benchmarks/tune_on_dev.py``.
        args (Namespace): The benchmark's arguments.

    Returns:
        dict: The file's contents; ``methods`` maps a method to its
        ``options`` (``key=value``) among others.
    """
    fix = (f'tune for it with python tools/benchmarks/tune_on_dev.py '
           f'{tune_flags(recipe_of(args), data_of(args))} (or pass the '
           f'tuned.json made for it)')
    if not osp.isfile(path):
        raise SystemExit(f'--tuned {path}: no such file; {fix}.')
    tuned = load(path)
    if not isinstance(tuned, dict) or not all(
            isinstance(tuned.get(k), dict)
            for k in ('recipe', 'data', 'dev_split', 'methods')):
        raise SystemExit(f'--tuned {path} is not a tuned.json written by '
                         f'tools/benchmarks/tune_on_dev.py (it needs '
                         f'"recipe", "data", "dev_split" and "methods"); '
                         f'{fix}.')
    recipe = dict(
        epochs=tuned['recipe'].get('epochs'),
        quick=bool(tuned['recipe'].get('quick')))
    if recipe != recipe_of(args):
        raise SystemExit(
            f'--tuned {path} was tuned for {describe_recipe(recipe)}, but '
            f'this benchmark runs {describe_recipe(recipe_of(args))}: a '
            f'post-hoc value depends on how long the model trained; {fix}.')
    data = tuned['data']
    if (float(data.get('imbalance_factor',
                       -1)) != data_of(args)['imbalance_factor']
            or data.get('profile') != args.profile):
        raise SystemExit(
            f'--tuned {path} was tuned on imbalance factor '
            f'{data.get("imbalance_factor")} ({data.get("profile")} '
            f'profile), but this benchmark trains on '
            f'{args.imbalance_factor:g} ({args.profile} profile); {fix}.')
    for method, entry in tuned['methods'].items():
        if method not in METHODS:
            raise SystemExit(f'--tuned {path}: method {method!r} is not in '
                             f'tools/benchmarks/methods.py; remove it from '
                             f'the file, or {fix}.')
        options = entry.get('options')
        if not options or not all(
                isinstance(o, str) and '=' in o for o in options):
            raise SystemExit(f'--tuned {path}: method {method!r} has no '
                             f'"options" list of key=value; {fix}.')
        for option in options:
            check_option_value(f'--tuned {path}: {method}', option)
    return tuned


def tuned_stages(stages: Sequence[Stage],
                 options: Sequence[str]) -> List[Stage]:
    """The stages with ``options`` appended to the last one's (its train
    and test runs, or its test alone for a test-only stage)."""
    last = stages[-1]
    return [
        *stages[:-1],
        last._replace(cfg_options=tuple(last.cfg_options) + tuple(options))
    ]


def tuned_line(tuned: dict, methods: Sequence[str]) -> str:
    """The table header's bullet on the tuned post-hoc values."""
    dev = tuned['dev_split']
    recipe = tuned['recipe']
    values = '; '.join(f'{m}: ' +
                       ', '.join(f'`{o}`'
                                 for o in tuned['methods'][m]['options'])
                       for m in methods)
    seeds = ', '.join(map(str, tuned.get('seeds', [])))
    return (f'- Post-hoc values (rows marked †) tuned on a development '
            f'split, never on the test set: {values}. Chosen by '
            f'`tools/benchmarks/tune_on_dev.py` by dev '
            f'{tuned.get("metric", "?").split("/")[-1]} (ties: the '
            f'config\'s value) on {dev.get("dev_per_class")} images per '
            f'class set aside from the training pool (dev_seed '
            f'{dev.get("dev_seed")}) before sub-sampling, with models '
            f'trained on the rest with the same recipe '
            f'({describe_recipe(recipe)}, seed {seeds}); the rows\' models '
            f'train on the whole pool.')


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------
TABLE_HEADER = [
    'Method', *(title for title, _ in COLUMNS), 'Seeds', 'Epochs', 'Train (s)',
    'Time vs CE'
]


def time_ratio(summary: dict, summaries: Dict[str, dict]) -> Optional[float]:
    """A method's training time relative to CE's: CPU time when both have
    it (it hardly changes when other jobs share the machine; on GPU it
    counts only the host's share), else wall time."""
    baseline = summaries.get(BASELINE, {})
    on_cpu = all(d.startswith('CPU') for d in summary['devices'])
    if on_cpu and summary.get('cpu_s') and baseline.get('cpu_s'):
        return relative_time(summary['cpu_s'], baseline['cpu_s'])
    return relative_time(summary['train_s'], baseline.get('train_s'))


def table_rows(summaries: Dict[str, dict]) -> List[List[str]]:
    """Markdown cells of every method; ``*`` marks an incomplete time."""
    rows = []
    for method, summary in summaries.items():
        ratio = time_ratio(summary, summaries)
        mark = '' if summary['time_complete'] else '*'
        rows.append([
            method,
            *(format_mean_std(*summary['metrics'][key][:2])
              for _, key in COLUMNS),
            str(len(summary['seeds'])),
            '+'.join(
                map(str,
                    summary.get('stage_epochs') or [summary['epochs']])),
            f'{summary["train_s"]:.0f}{mark}',
            MISSING if ratio is None else f'{ratio:.2f}×{mark}',
        ])
    return rows


def command_line(argv: Optional[Sequence[str]], script: str = __file__) -> str:
    """The command that reproduces a table: ``python <script> <argv>``, the
    script relative to the repository root (the benchmark's tools pass
    their own ``__file__``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    script = osp.relpath(osp.abspath(script), ROOT)
    return shlex.join(['python', script, *argv])


def recipe_line(args, epochs: str) -> str:
    """The table header's recipe bullet."""
    if not args.epochs:
        return (f'- Recipe: each method\'s config in '
                f'`tools/benchmarks/methods.py` (ResNet-8, batch 128, SGD), '
                f'the quick recipe; training epochs summed over stages: '
                f'{epochs}.')
    return (f'- Recipe: {args.epochs} epochs for every method (ResNet-8, '
            f'batch 128, SGD, one warm-up epoch, cosine decay): a method '
            f'with one trained stage trains {args.epochs}, a two-stage '
            f'method {args.epochs - args.epochs // 6} + {args.epochs // 6} '
            f'(stage one + stage two, the "Epochs" column); every other '
            f'epoch index of a config keeps its share of its stage '
            f'(`tools/benchmarks/recipe.py`).')


def write_markdown(path: str,
                   summaries: Dict[str, dict],
                   args,
                   argv,
                   tuned: Optional[dict] = None) -> str:
    """Write the table with its header.

    Args:
        tuned (dict, optional): The ``--tuned`` file's contents: its
            methods' rows are marked † and the header lists their values.
            Defaults to None.
    """
    first = next(iter(summaries.values()))
    counts = [row['train_count'] for row in first['per_class']]
    seeds = sorted(
        {s
         for summary in summaries.values() for s in summary['seeds']})
    groups = first['groups']
    epochs = ', '.join(f'{m} {s["epochs"]}' for m, s in summaries.items())
    devices = sorted({d for s in summaries.values() for d in s['devices']})
    lines = [
        f'### Fashion-MNIST-LT, imbalance factor '
        f'{args.imbalance_factor:g} ({args.profile} profile)' +
        (' — quick smoke run, not a result' if args.quick else ''),
        '',
        f'Command: `{command_line(argv)}`',
        '',
        f'- Training set: Fashion-MNIST sub-sampled with the '
        f'`{args.profile}` profile, IF {args.imbalance_factor:g}: '
        f'{sum(counts)} images, {max(counts)} … {min(counts)} per class, '
        f'one split for all seeds; test set: balanced, '
        f'{first["test_images"]} images.',
        f'- Seeds (`randomness.seed`): {", ".join(map(str, seeds))}; '
        f'cells are mean ± std (sample std) over seeds, in percent.',
        recipe_line(args, epochs),
        f'- Groups: Many > {groups.get("many_thr")}, Medium '
        f'{groups.get("few_thr")}–{groups.get("many_thr")}, Few < '
        f'{groups.get("few_thr")} training images; G-/H-mean and lowest '
        f'are over per-class recall.',
        f'- Time: training time of all stages (the final test excluded; '
        f'the per-epoch validation of the stages that need it, GLAG\'s '
        f'adaptive confidence, included), mean '
        f'over seeds; "Train (s)" is wall time, "Time vs {BASELINE}" the '
        f'ratio of CPU time (on GPU: wall time) to {BASELINE}\'s in the same '
        f'benchmark; '
        f'device: {"; ".join(devices)}.',
        f'- Cost of this table: '
        f'{sum(s.get("own_wall_s", 0) for s in summaries.values()) / 3600:.1f}'
        f' h of subprocess wall time (trainings and tests, a shared first '
        f'stage counted once), '
        f'{sum(s.get("own_cpu_s", 0) for s in summaries.values()) / 3600:.1f}'
        f' CPU-hours of training.',
    ]
    tuned_methods = [
        m for m in summaries if m in (tuned or {}).get('methods', {})
    ]
    if tuned_methods:
        lines.append(tuned_line(tuned, tuned_methods))
    rows = table_rows(summaries)
    for row in rows:
        if row[0] in tuned_methods:
            row[0] += ' †'
    lines += [
        '',
        markdown_table(TABLE_HEADER, rows),
    ]
    if not all(s['time_complete'] for s in summaries.values()):
        lines += [
            '', '\\* A training was killed and resumed; the time of '
            'its first attempt is missing.'
        ]
    text = '\n'.join(lines) + '\n'
    with open(path, 'w') as f:
        f.write(text)
    return text


def write_csv(path: str, summaries: Dict[str, dict]) -> None:
    header = ['method']
    for _, key in COLUMNS:
        header += [f'{key}_mean', f'{key}_std']
    header += [
        'n_seeds', 'seeds', 'epochs', 'train_s', 'cpu_s', 'time_vs_ce',
        'time_complete'
    ]
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for method, summary in summaries.items():
            row = [method]
            for _, key in COLUMNS:
                mean, std, _ = summary['metrics'][key]
                row += [
                    '' if mean is None else mean, '' if std is None else std
                ]
            ratio = time_ratio(summary, summaries)
            row += [
                len(summary['seeds']), ' '.join(map(str, summary['seeds'])),
                summary['epochs'], summary['train_s'],
                '' if summary['cpu_s'] is None else summary['cpu_s'],
                '' if ratio is None else ratio, summary['time_complete']
            ]
            writer.writerow(row)


def plot_per_class(path: str, summaries: Dict[str, dict]) -> None:
    """Mean per-class recall of every method, classes by training count."""
    first = next(iter(summaries.values()))
    counts = np.array([row['train_count'] for row in first['per_class']])
    names = [row['name'] for row in first['per_class']]
    order = np.argsort(-counts, kind='stable')
    x = np.arange(len(order))

    # A Figure with its own Agg canvas leaves pyplot's global state alone.
    figure = Figure(
        figsize=(min(max(8.0, 0.5 * len(order)), 16.0), 5.5),
        layout='constrained')
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    count_ax = ax.twinx()
    # The counts as pale bars behind the recall lines.
    count_ax.bar(
        x,
        counts[order],
        width=0.8,
        color='0.88',
        zorder=0,
        label='training images')
    count_ax.set_yscale('log')
    count_ax.set_ylabel('training images (log scale)')
    ax.set_zorder(count_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    # 20 colours, and markers for more methods than that.
    ax.set_prop_cycle(color=colormaps['tab20'].colors)
    markers = itertools.cycle('os^vD<>ph*')
    for method, summary in summaries.items():
        recall = np.array([
            np.nan if row['recall'] is None else row['recall']
            for row in summary['per_class']
        ])
        ax.plot(
            x,
            recall[order],
            marker=next(markers),
            markersize=4,
            clip_on=False,
            label=method)
    ax.set_ylim(0, 100)
    ax.set_ylabel('recall (%), mean over seeds')
    ax.set_xticks(x)
    ax.set_xticklabels([f'{names[i]}\n({counts[i]})' for i in order],
                       rotation=90 if len(order) > 12 else 0,
                       fontsize=7)
    ax.set_xlabel('class (training images), most frequent first')
    handles = (
        ax.get_legend_handles_labels()[0] +
        count_ax.get_legend_handles_labels()[0])
    figure.legend(
        handles=handles,
        loc='outside lower center',
        ncols=min(len(handles), 5),
        fontsize=8,
        frameon=False)
    figure.savefig(path, dpi=150)


def recipe_work_dir(args, default: str) -> str:
    """Check ``--epochs``/``--quick`` and return the absolute work dir.

    Shared by the benchmark's tools that run recipes (``tune_on_dev.py``).

    Args:
        args: With ``epochs``, ``quick`` and ``work_dir`` (None: ``default``
            plus ``-<E>e`` with ``--epochs E``); ``--quick`` appends
            ``-quick``.
        default (str): The default work dir of the configs' recipe.
    """
    if args.quick and args.epochs:
        raise SystemExit('--quick trains 1 epoch per stage; it does not '
                         'combine with --epochs.')
    if args.epochs:
        stage_lengths([True], args.epochs)  # a clear error for a bad length
    if args.work_dir is None:
        args.work_dir = default + (f'-{args.epochs}e' if args.epochs else '')
    work_dir = osp.abspath(
        args.work_dir.rstrip('/\\') + ('-quick' if args.quick else ''))
    return check_option_value('--work-dir', work_dir)


def main(argv=None):
    args = parse_args(argv)
    work_dir = recipe_work_dir(args, 'work_dirs/benchmark')
    seeds = args.seeds[:1] if args.quick else args.seeds
    wanted = set(args.methods or METHODS) | {BASELINE}
    methods = [name for name in METHODS if name in wanted]
    options = common_options(args)
    tuned = load_tuned(args.tuned, args) if args.tuned else None
    tuned_options = {
        m: e['options']
        for m, e in (tuned or {}).get('methods', {}).items()
    }

    # Seed by seed: every round gives a whole table, and CE runs in each
    # round, so slow drift of a shared machine hits all methods alike.
    jobs = [(method, seed) for seed in seeds for method in methods]
    records: Dict[str, List[dict]] = {method: [] for method in methods}
    failures = []
    shared: Dict[int, Dict[tuple, dict]] = {seed: {} for seed in seeds}
    for index, (method, seed) in enumerate(jobs, 1):
        stages, folder = METHODS[method], method
        if method in tuned_options:
            stages = tuned_stages(stages, tuned_options[method])
            folder = method + TUNED_SUFFIX
        seed_dir = osp.join(work_dir, folder, f'seed{seed}')
        prefix = f'[{index}/{len(jobs)}] {method} seed={seed}'
        if args.report_only and not finished_run(seed_dir):
            print(f'{prefix}: not run yet', flush=True)
            continue
        print(f'{prefix}: running...', flush=True)
        try:
            record, reused = run_method_seed(
                method, seed, stages, options + [f'randomness.seed={seed}'],
                seed_dir, args.quick, args.verbose, shared[seed], args.epochs)
        except RunFailed as error:
            print(f'{prefix}: FAILED: {error}', flush=True)
            failures.append(f'{method} seed={seed}')
            continue
        remember_first_stage(record, seed_dir, shared[seed])
        records[method].append(record)
        metrics = record['metrics']
        wall = sum(s['wall_s'] for s in record['stages'])
        print(
            f'{prefix}: top1 {metrics["top1"]:.2f} lowest '
            f'{metrics["lowest_recall"]:.2f} ({wall:.0f} s'
            f'{", reused" if reused else ""})',
            flush=True)

    summaries = {m: summarize(r) for m, r in records.items() if r}
    if summaries:
        md = write_markdown(
            osp.join(work_dir, 'results.md'), summaries, args, argv, tuned)
        write_csv(osp.join(work_dir, 'results.csv'), summaries)
        plot_per_class(osp.join(work_dir, 'per_class_recall.png'), summaries)
        verdicts = claims_markdown(claim_rows(summaries))
        with open(osp.join(work_dir, 'claims.md'), 'w') as f:
            f.write(verdicts or 'No claim has both of its rows yet.\n')
        print('\n' + md)
        if verdicts:
            print(verdicts)
        print(f'Written: {work_dir}/results.md, results.csv, claims.md, '
              f'per_class_recall.png')
    if failures:
        raise SystemExit(f'{len(failures)} run(s) failed: '
                         f'{", ".join(failures)}; re-run the same command to '
                         f'retry them (finished runs are kept).')


if __name__ == '__main__':
    main()
