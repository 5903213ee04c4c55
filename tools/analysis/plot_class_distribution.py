# Copyright (c) mmlt contributors. All rights reserved.
"""Plot a class distribution (images per class, log scale).

The counts come from the ``train_count`` column of a per-class JSON written
by ``PerClassRecallHook``, or from the command line. Examples::

    python tools/analysis/plot_class_distribution.py \
        work_dirs/exp/20240101_000000/per_class/test.json
    python tools/analysis/plot_class_distribution.py \
        --counts 5000 2997 1796 1077 645 387 232 139 83 50 --out cifar10.png
"""
import argparse
import os.path as osp

from mmengine.fileio import load

from mmlt.visualization import plot_class_distribution


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Plot images per class, most frequent first, on a log '
        'scale.')
    parser.add_argument(
        'json',
        nargs='?',
        help='per_class/*.json written by '
        'PerClassRecallHook (its train_count column is plotted)')
    parser.add_argument(
        '--counts',
        type=int,
        nargs='+',
        help='images per class, instead of '
        'a JSON')
    parser.add_argument(
        '--classes',
        nargs='+',
        help='class names for --counts; defaults to '
        'the class indices')
    parser.add_argument(
        '--out',
        help='output image; defaults to the JSON path with '
        '"_distribution.png", or class_distribution.png with --counts')
    parser.add_argument(
        '--title',
        help='figure title; defaults to the '
        'number of images and the imbalance factor')
    args = parser.parse_args(argv)
    if (args.json is None) == (args.counts is None):
        parser.error('give either a per-class JSON or --counts.')
    if args.classes is not None and args.counts is None:
        parser.error('--classes goes with --counts; a JSON has its names.')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.json is not None:
        rows = load(args.json)['per_class']
        counts = [row['train_count'] for row in rows]
        classes = [row['class'] for row in rows]
        if any(count is None for count in counts):
            raise SystemExit(
                f'{args.json} has no training counts (the metric had no '
                f'class counts); pass them with --counts instead.')
        out = args.out or osp.splitext(args.json)[0] + '_distribution.png'
    else:
        counts, classes = args.counts, args.classes
        out = args.out or 'class_distribution.png'
    plot_class_distribution(counts, classes, out, title=args.title)
    print(f'Saved the class distribution chart to {out}')


if __name__ == '__main__':
    main()
