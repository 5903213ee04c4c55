# Copyright (c) mmlt contributors. All rights reserved.
"""Write the long-tailed split of a config's training set and print it.

The split file lists ``<index> <label>`` per kept image; set it as
``train_dataloader.dataset.split_file`` to train on exactly that split
anywhere, e.g.::

    python tools/dataset_converters/make_long_tail_split.py \\
        configs/ce/ce_resnet32_1xb128_cifar10-lt-r100.py \\
        --out data/cifar10/cifar10_lt_r100_seed0.txt \\
        --cfg-options train_dataloader.dataset.seed=1

``--dataloader dev_dataloader`` writes the balanced development split of a
``*_with_dev`` config instead (load it back with ``split_file=`` and
``split='dev'``).
"""
import argparse

from mmengine.config import Config, DictAction
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import LongTailDataset


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config whose train set to split')
    parser.add_argument(
        '--out',
        help='split file to write (omit to only '
        'print the class counts)')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace an existing file')
    parser.add_argument(
        '--dataloader',
        default='train_dataloader',
        choices=['train_dataloader', 'dev_dataloader'],
        help='the dataloader whose split to write (default: '
        'train_dataloader)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. '
        'train_dataloader.dataset.imbalance_factor=50')
    return parser.parse_args()


def format_counts(dataset: LongTailDataset) -> str:
    """A table of class index, name and count, largest first."""
    counts = dataset.class_counts
    classes = dataset.metainfo.get('classes') or [
        str(i) for i in range(len(counts))
    ]
    lines = [f'{"class":>5}  {"name":<24} {"images":>7}']
    for cls in sorted(range(len(counts)), key=lambda c: -counts[c]):
        lines.append(f'{cls:>5}  {str(classes[cls])[:24]:<24} '
                     f'{counts[cls]:>7}')
    lines.append(f'total {len(dataset)} images in {len(counts)} classes, '
                 f'imbalance {counts.max() / max(counts.min(), 1):.1f}')
    return '\n'.join(lines)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.dataloader not in cfg:
        raise KeyError(f'{args.config} has no {args.dataloader}; the '
                       f'development split is in the *_with_dev configs.')
    dataset = DATASETS.build(cfg[args.dataloader].dataset)
    if not isinstance(dataset, LongTailDataset):
        raise TypeError(
            f'{args.config}: {args.dataloader}.dataset is '
            f'{type(dataset).__name__}, not LongTailDataset; this tool '
            f'splits long-tailed training sets only.')
    print(format_counts(dataset))
    if args.out:
        dataset.dump_split(args.out, overwrite=args.overwrite)
        print(f'split written to {args.out}')


if __name__ == '__main__':
    main()
