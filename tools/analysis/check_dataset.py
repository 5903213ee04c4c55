# Copyright (c) mmlt contributors. All rights reserved.
"""Check that a config's datasets are prepared, and summarise them.

Builds the dataset of every dataloader of the config (train, val, test and,
where the config has one, the development split) and prints, for each, the
number of images and classes, a histogram of images per class and, for the
training set, the Many / Medium / Few groups of the config's evaluator.
Whatever is missing is reported with the path where it is expected; the exit
status is 1 if any dataset is not ready. Example::

    python tools/analysis/check_dataset.py \\
        configs/ce/ce_resnet50_8xb64_imagenet-lt.py \\
        --cfg-options train_dataloader.dataset.dataset.data_root=/data/in1k
"""
import argparse
import sys
from typing import List, Optional

import numpy as np
from mmengine.config import Config, DictAction
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.evaluation.functional import shot_groups
from mmlt.utils import count_classes

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
           'dev_dataloader')
# Upper bounds (exclusive) of the histogram bins of images per class.
BIN_EDGES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the config whose data to check')
    parser.add_argument(
        '--loaders',
        nargs='+',
        choices=[name.split('_')[0] for name in LOADERS],
        help='check only these dataloaders (default: all in the config)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'train_dataloader.dataset.dataset.data_root=PATH')
    return parser.parse_args(argv)


def histogram(counts: np.ndarray, width: int = 40) -> List[str]:
    """Text histogram: how many classes have how many images."""
    edges = [0] + [e for e in BIN_EDGES if e <= max(counts.max(), 1)]
    edges.append(max(int(counts.max()) + 1, edges[-1] + 1))
    per_bin = np.histogram(counts, bins=edges)[0]
    top = max(per_bin.max(), 1)
    lines = []
    for low, high, n in zip(edges[:-1], edges[1:], per_bin):
        label = f'{low}' if high == low + 1 else f'{low}-{high - 1}'
        bar = '#' * int(round(width * n / top))
        lines.append(f'  {label:>11} images | {bar:<{width}} {n} classes')
    return lines


def summarise(dataset, expected: Optional[int], groups: Optional[tuple]):
    """Lines describing ``dataset`` and the problems found in it."""
    counts = count_classes(dataset)
    classes = dataset.metainfo.get('classes') or []
    lines = [
        f'  {len(dataset)} images in {len(counts)} classes; per class: max '
        f'{counts.max()}, min {counts.min()}, imbalance '
        f'{counts.max() / max(counts.min(), 1):.1f}'
    ]
    problems = []
    if expected is not None and len(counts) != expected:
        problems.append(f'{len(counts)} classes, but the model predicts '
                        f'{expected}; fix the data or the head num_classes.')
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        names = ', '.join(
            f'{i} ({classes[i]!r})' if i < len(classes) else str(i)
            for i in empty[:5])
        problems.append(f'{empty.size} classes have no image: {names}'
                        f'{" ..." if empty.size > 5 else ""}')
    lines += histogram(counts)
    if groups is not None:
        masks = shot_groups(counts, *groups)
        desc = dict(
            many=f'> {groups[0]}',
            medium=f'{groups[1]}-{groups[0]}',
            few=f'< {groups[1]}')
        lines.append('  ' + '; '.join(
            f'{name.capitalize()} ({desc[name]}): {int(mask.sum())} classes, '
            f'{int(counts[mask].sum())} images'
            for name, mask in masks.items()))
    return lines, problems


def check(cfg: Config, loaders=None) -> int:
    """Check the datasets of ``cfg``; returns the number of problems."""
    head = cfg.get('model', {}).get('head', {})
    expected = head.get('num_classes') or cfg.get('data_preprocessor',
                                                  {}).get('num_classes')
    evaluator = cfg.get('val_evaluator') or {}
    groups = (evaluator.get('many_thr', 100), evaluator.get('few_thr', 20))
    num_problems, seen = 0, []
    for name in LOADERS:
        loader = cfg.get(name)
        if not loader or (loaders and name.split('_')[0] not in loaders):
            continue
        ds_cfg = loader['dataset']
        if ds_cfg in seen:
            print(f'== {name}: the same dataset as above')
            continue
        seen.append(ds_cfg)
        inner = ds_cfg.get('dataset', ds_cfg)
        print(f'== {name}: {ds_cfg["type"]}'
              f'{"" if inner is ds_cfg else " of " + inner["type"]}, '
              f'data_root={inner.get("data_root")!r}, '
              f'split={ds_cfg.get("split", inner.get("split"))!r}')
        try:
            dataset = DATASETS.build(ds_cfg)
        except (FileNotFoundError, ValueError, RuntimeError, KeyError) as e:
            print(f'  NOT READY: {e}')
            num_problems += 1
            continue
        lines, problems = summarise(
            dataset, expected, groups if name == 'train_dataloader' else None)
        print('\n'.join(lines))
        for problem in problems:
            print(f'  PROBLEM: {problem}')
        num_problems += len(problems)
    return num_problems


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    num_problems = check(cfg, args.loaders)
    print(f'{num_problems} problem(s) found.'
          if num_problems else 'All datasets are ready.')
    return 1 if num_problems else 0


if __name__ == '__main__':
    sys.exit(main())
