# Copyright (c) mmlt contributors. All rights reserved.
"""Plot the per-class recall stored in a JSON by ``PerClassRecallHook``.

Example::

    python tools/analysis/plot_per_class_recall.py \
        work_dirs/exp/20240101_000000/per_class/test.json --out recall.png
"""
import argparse
import os.path as osp

from mmengine.fileio import load

from mmlt.visualization import plot_per_class_recall


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot per-class recall, classes sorted by training '
        'count, from a per-class JSON written by PerClassRecallHook.')
    parser.add_argument('json', help='per_class/*.json of a run')
    parser.add_argument(
        '--out',
        help='output image; defaults to the JSON path with "_recall.png" '
        '(not ".png", which the hook may have written already)')
    parser.add_argument('--title', help='figure title')
    return parser.parse_args(argv)


def default_title(record: dict) -> str:
    """Split, epoch and top-1 accuracy of a per-class record."""
    title = record.get('split') or 'per-class recall'
    if record.get('split') == 'val' and record.get('epoch') is not None:
        title += f' epoch {record["epoch"]}'
    top1 = record.get('metrics', {}).get('top1')
    if top1 is not None:
        title += f': top-1 {top1:.2f}%'
    return title


def main(argv=None):
    args = parse_args(argv)
    record = load(args.json)
    rows = record['per_class']
    out = args.out or osp.splitext(args.json)[0] + '_recall.png'
    plot_per_class_recall([row['recall'] for row in rows],
                          [row['train_count'] for row in rows],
                          [row['class'] for row in rows],
                          out,
                          title=args.title or default_title(record))
    print(f'Saved the per-class recall chart to {out}')


if __name__ == '__main__':
    main()
