# Copyright (c) mmlt contributors. All rights reserved.
"""Compare the long-tail results of several work dirs in one table.

For each work dir it reads the newest per-class JSON written by
``PerClassRecallHook`` under ``WORK_DIR/<timestamp>/per_class/``: a test
result if there is one, else the validation of the highest epoch. Example::

    python tools/analysis/compare_work_dirs.py work_dirs/ce work_dirs/ldam \
        --out table.md --csv table.csv
"""
import argparse
import csv
import glob
import os.path as osp
import re
import sys
from typing import List, Optional, Tuple

from mmengine.fileio import load

#: (column title, key in the metric dict) of the table.
COLUMNS = (('Top-1', 'top1'), ('Many', 'many'), ('Medium', 'medium'),
           ('Few', 'few'), ('G-mean', 'gmean_recall'),
           ('H-mean', 'hmean_recall'), ('Lowest', 'lowest_recall'))
MISSING = '–'

_TEST = re.compile(r'test(?:_(\d+))?\.json')
_VAL = re.compile(r'val_epoch_(\d+)(?:_(\d+))?\.json')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Print a Markdown table of top-1, Many/Medium/Few, '
        'G-mean, H-mean and lowest recall of several work dirs.')
    parser.add_argument('work_dirs', nargs='+', help='work dirs to compare')
    parser.add_argument('--out', help='also write the Markdown table here')
    parser.add_argument(
        '--csv',
        help='also write the table here, at full precision, with '
        'the JSON each row comes from')
    return parser.parse_args(argv)


def find_result(work_dir: str) -> str:
    """The per-class JSON that stands for a work dir.

    The latest test result (by run timestamp, then suffix) if any, else the
    validation of the highest epoch (then latest run, then suffix). Both
    ``WORK_DIR/<timestamp>/per_class/`` and ``WORK_DIR/per_class/`` are
    searched.

    Args:
        work_dir (str): A training or test work dir.

    Returns:
        str: The JSON path.
    """
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'{work_dir}: no such work dir.')
    tests, vals = [], []
    for pattern in ('*/per_class/*.json', 'per_class/*.json'):
        for path in glob.glob(osp.join(work_dir, pattern)):
            run = osp.relpath(path, work_dir).split(osp.sep)[0]
            name = osp.basename(path)
            if match := _TEST.fullmatch(name):
                tests.append(((run, int(match[1] or 0)), path))
            elif match := _VAL.fullmatch(name):
                vals.append(((int(match[1]), run, int(match[2] or 0)), path))
    candidates = tests or vals
    if not candidates:
        raise FileNotFoundError(
            f'{work_dir}: no per-class results (test*.json or '
            f'val_epoch_*.json under */per_class/); train or test with '
            f'PerClassRecallHook and LongTailMetric.')
    return max(candidates)[1]


def load_metrics(path: str) -> dict:
    """The metric dict stored in a per-class JSON."""
    metrics = load(path).get('metrics')
    if not metrics:
        raise ValueError(f'{path}: holds no metrics.')
    return metrics


def format_value(value: Optional[float]) -> str:
    """Two decimals, or a dash for a missing value."""
    return MISSING if value is None else f'{value:.2f}'


def markdown_table(header: List[str], rows: List[List[str]]) -> str:
    """A Markdown table with padded columns, numbers right-aligned."""
    widths = [
        max(len(cell) for cell in column) for column in zip(header, *rows)
    ]

    def line(cells):
        return '| ' + ' | '.join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))) + ' |'

    rule = line(['-' * widths[0]] + ['-' * (w - 1) + ':' for w in widths[1:]])
    return '\n'.join([line(header), rule, *map(line, rows)])


def collect(work_dirs: List[str]) -> List[Tuple[str, str, dict]]:
    """(method, JSON path, metrics) of each work dir, named after its
    folder."""
    results = []
    for work_dir in work_dirs:
        path = find_result(work_dir)
        method = osp.basename(osp.normpath(work_dir))
        results.append((method, path, load_metrics(path)))
    return results


def main(argv=None):
    args = parse_args(argv)
    try:
        results = collect(args.work_dirs)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'compare_work_dirs: {error}')
    for method, path, _ in results:
        print(f'{method}: {path}', file=sys.stderr)

    header = ['Method', *(title for title, _ in COLUMNS)]
    rows = [[method, *(format_value(metrics.get(key)) for _, key in COLUMNS)]
            for method, _, metrics in results]
    table = markdown_table(header, rows)
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table + '\n')
    if args.csv:
        with open(args.csv, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow([*header, 'Source'])
            for method, path, metrics in results:
                writer.writerow([
                    method, *(metrics.get(key, '') for _, key in COLUMNS), path
                ])


if __name__ == '__main__':
    main()
