# Copyright (c) mmlt contributors. All rights reserved.
"""Learning curve of a benchmark method: its test metrics against the length
of the recipe, to choose a recipe where the baseline has stopped improving.

Each length ``E`` trains the method with the accuracy benchmark's
``--epochs E`` recipe (``tools/benchmarks/recipe.py``: a whole cosine
schedule of ``E`` epochs, not a checkpoint of a longer run) in the same work
dir as ``accuracy_benchmark.py --epochs E`` would use, so the benchmark at
the chosen length re-uses these runs, and vice versa::

    python tools/benchmarks/learning_curve.py --epochs 6 12 24 48 --seeds 0 1

Writes ``curve.md`` (mean ± std per length, the gain over the previous
length and the gap to the longest), ``curve.csv`` and ``curve.png`` to
``--out``. Finished runs are kept and never run again.
"""
import argparse
import csv
import os
import os.path as osp
import sys
from typing import Dict, List

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

HERE = osp.dirname(osp.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
import accuracy_benchmark as acc  # noqa: E402

#: Metrics of the curve: (title, key in the run records).
CURVE_COLUMNS = (('Top-1', 'top1'), ('Few', 'few'), ('G-mean', 'gmean_recall'),
                 ('H-mean', 'hmean_recall'), ('Lowest', 'lowest_recall'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--method',
        default=acc.BASELINE,
        choices=list(acc.METHODS),
        help=f'the method (default: {acc.BASELINE})')
    parser.add_argument(
        '--epochs',
        nargs='+',
        type=int,
        default=[6, 12, 24, 48],
        help='recipe lengths, multiples of 6 (default: 6 12 24 48)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        default=[0, 1],
        help='values of randomness.seed (default: 0 1)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/benchmark',
        help='prefix of the benchmark work dirs: runs of length E go to '
        '<prefix>-<E>e (default: work_dirs/benchmark)')
    parser.add_argument(
        '--out',
        default='work_dirs/learning_curve',
        help='where curve.md, curve.csv and curve.png go')
    acc.add_data_arguments(parser)
    parser.add_argument(
        '--verbose', action='store_true', help='show the runs\' output')
    return parser.parse_args(argv)


def benchmark_options(args) -> List[str]:
    """The accuracy benchmark's ``--cfg-options`` for the same data."""
    return acc.common_options(
        argparse.Namespace(
            imbalance_factor=args.imbalance_factor,
            profile=args.profile,
            data_root=args.data_root,
            quick=False,
            cfg_options=[]))


def curve_rows(points: Dict[int, List[dict]]) -> List[dict]:
    """Mean, std and gains of every metric per length.

    Args:
        points (dict): recipe length -> the run records of its seeds.

    Returns:
        list[dict]: One row per length, shortest first: ``epochs``,
        ``seeds``, ``<key>`` -> (mean, std), ``gain`` (top-1 over the
        previous length) and ``to_longest`` (top-1 below the longest).
    """
    rows = []
    for epochs in sorted(points):
        records = points[epochs]
        row = dict(epochs=epochs, seeds=[r['seed'] for r in records])
        for _, key in CURVE_COLUMNS:
            row[key] = acc.mean_std([r['metrics'].get(key)
                                     for r in records])[:2]
        rows.append(row)
    longest = rows[-1]['top1'][0] if rows else None
    for previous, row in zip([None] + rows[:-1], rows):
        top1 = row['top1'][0]
        row['gain'] = (None if previous is None or top1 is None
                       or previous['top1'][0] is None else top1 -
                       previous['top1'][0])
        row['to_longest'] = (None if top1 is None or longest is None else
                             longest - top1)
    return rows


def _signed(value):
    if value is None:
        return acc.MISSING
    return f'{value:+.2f}' if round(value, 2) else '0.00'


def write_outputs(out: str, method: str, rows: List[dict],
                  command: str) -> str:
    os.makedirs(out, exist_ok=True)
    header = [
        'Epochs', *(t for t, _ in CURVE_COLUMNS), 'Top-1 gain',
        'Top-1 below longest', 'Seeds'
    ]
    cells = [[
        str(row['epochs']), *(acc.format_mean_std(*row[key])
                              for _, key in CURVE_COLUMNS),
        _signed(row['gain']),
        _signed(None if row['to_longest'] is None else -row['to_longest']),
        ' '.join(map(str, row['seeds']))
    ] for row in rows]
    text = (f'### Learning curve of {method} (mean ± std over seeds)\n\n'
            f'Command: `{command}`\n\n' + acc.markdown_table(header, cells) +
            '\n')
    with open(osp.join(out, 'curve.md'), 'w') as f:
        f.write(text)
    with open(osp.join(out, 'curve.csv'), 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(
            ['epochs'] +
            [f'{k}_{s}' for _, k in CURVE_COLUMNS
             for s in ('mean', 'std')] + ['seeds'])
        for row in rows:
            writer.writerow([row['epochs']] +
                            [v for _, k in CURVE_COLUMNS for v in row[k]] +
                            [' '.join(map(str, row['seeds']))])
    figure = Figure(figsize=(6, 4), layout='constrained')
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    epochs = [row['epochs'] for row in rows]
    for title, key in CURVE_COLUMNS:
        means = [row[key][0] for row in rows]
        stds = [row[key][1] or 0.0 for row in rows]
        ax.errorbar(
            epochs, means, yerr=stds, marker='o', capsize=3, label=title)
    ax.set_xscale('log', base=2)
    ax.set_xticks(epochs)
    ax.set_xticklabels(map(str, epochs))
    ax.set_xlabel('recipe length (epochs)')
    ax.set_ylabel('test metric (%)')
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8)
    ax.set_title(f'{method} on Fashion-MNIST-LT')
    figure.savefig(osp.join(out, 'curve.png'), dpi=150)
    return text


def main(argv=None):
    args = parse_args(argv)
    for epochs in args.epochs:
        acc.stage_lengths([True], epochs)  # a clear error for a bad length
    options = benchmark_options(args)
    stages = acc.METHODS[args.method]
    points: Dict[int, List[dict]] = {}
    for epochs in args.epochs:
        work_dir = osp.abspath(f'{args.work_dir.rstrip("/")}-{epochs}e')
        acc.check_option_value('--work-dir', work_dir)
        for seed in args.seeds:
            seed_dir = osp.join(work_dir, args.method, f'seed{seed}')
            print(
                f'{args.method} {epochs} epochs seed={seed}: running...',
                flush=True)
            record, _ = acc.run_method_seed(
                args.method,
                seed,
                stages,
                options + [f'randomness.seed={seed}'],
                seed_dir,
                False,
                args.verbose,
                epochs=epochs)
            print(
                f'{args.method} {epochs} epochs seed={seed}: top1 '
                f'{record["metrics"]["top1"]:.2f}',
                flush=True)
            points.setdefault(epochs, []).append(record)
    text = write_outputs(args.out, args.method, curve_rows(points),
                         acc.command_line(argv, __file__))
    print('\n' + text)


if __name__ == '__main__':
    main()
