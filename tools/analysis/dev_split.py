# Copyright (c) mmlt contributors. All rights reserved.
"""A balanced development split of the training pool as the validation set
of the post-hoc tuners (``tune_tau_norm.py``,
``tune_ensemble_temperature.py``).

Where the config's validation set is the test set (mmlt's Fashion-MNIST-LT
and CIFAR-LT configs), tuning on it is tuning on the test set. With
``--dev-per-class K --dev-seed S`` the tuners evaluate instead on
``LongTailDataset(split='dev', dev_per_class=K, dev_seed=S)`` of the
dataset that the training set's ``LongTailDataset`` wraps (the training
pool), loaded with the validation pipeline. Those images are set aside from
the pool before sub-sampling, so a model trained with
``train_dataloader.dataset.dev_per_class=K`` and ``dev_seed=S`` never saw
them; the tuners refuse a config whose training set does not set them
aside.
"""
import copy
from typing import Tuple

from mmengine.config import Config

from mmlt.datasets import LongTailDataset


def add_dev_arguments(parser) -> None:
    """Add ``--dev-per-class`` and ``--dev-seed`` to a tuner's parser."""
    parser.add_argument(
        '--dev-per-class',
        type=int,
        metavar='K',
        help='evaluate on a balanced development split of the training pool '
        '(K images per class, set aside before sub-sampling) instead of the '
        'config\'s val_dataloader; the config\'s training set must set the '
        'same split aside (train_dataloader.dataset.dev_per_class=K), as '
        'the checkpoint\'s training did (default: the val_dataloader)')
    parser.add_argument(
        '--dev-seed',
        type=int,
        default=0,
        metavar='S',
        help='seed of the development split (LongTailDataset\'s dev_seed; '
        'default: 0)')


def _is_long_tail(dataset: dict) -> bool:
    kind = dataset.get('type')
    if isinstance(kind, type):
        return issubclass(kind, LongTailDataset)
    return isinstance(kind, str) and kind.split('.')[-1] == 'LongTailDataset'


def training_pool(cfg: Config, name: str = 'the config') -> Tuple[dict, str]:
    """The ``LongTailDataset`` of the training set and its key.

    Args:
        cfg (Config): The config.
        name (str): The config's path, for error messages.

    Returns:
        tuple[dict, str]: The ``LongTailDataset`` config (the first one
        found through the wrappers of ``train_dataloader.dataset``) and its
        key, e.g. ``'train_dataloader.dataset'``.
    """
    dataset = (cfg.get('train_dataloader') or {}).get('dataset')
    key = 'train_dataloader.dataset'
    while isinstance(dataset, dict) and not _is_long_tail(dataset):
        dataset, key = dataset.get('dataset'), key + '.dataset'
    if not isinstance(dataset, dict):
        raise ValueError(
            f'{name}: train_dataloader.dataset has no LongTailDataset; a '
            f'development split is set aside from the training pool of a '
            f'LongTailDataset (e.g. configs/_base_/datasets/'
            f'fashion_mnist_lt.py). Tune without --dev-per-class on a '
            f'dataset with a real validation split.')
    return dataset, key


def _pipeline(dataset: dict):
    """The pipeline of the innermost dataset that has one."""
    found = None
    while isinstance(dataset, dict):
        found = dataset.get('pipeline', found)
        dataset = dataset.get('dataset')
    return found


def dev_dataset(cfg: Config,
                dev_per_class: int,
                dev_seed: int = 0,
                name: str = 'the config') -> dict:
    """The config of the development split of ``cfg``'s training pool.

    Args:
        cfg (Config): A config whose ``train_dataloader.dataset`` is (or
            wraps) a ``LongTailDataset`` that sets aside ``dev_per_class``
            images per class with ``dev_seed``.
        dev_per_class (int): Images per class of the development split.
        dev_seed (int): Its seed. Defaults to 0.
        name (str): The config's path, for error messages.

    Returns:
        dict: ``LongTailDataset(split='dev', ...)`` around the training
        pool, with the pipeline of ``val_dataloader`` (else
        ``test_dataloader``).
    """
    if not (isinstance(dev_per_class, int) and dev_per_class > 0):
        raise ValueError(f'--dev-per-class must be a positive number of '
                         f'images per class, got {dev_per_class!r}.')
    long_tail, key = training_pool(cfg, name)
    trained = (long_tail.get('dev_per_class', 0), long_tail.get('dev_seed', 0))
    if trained != (dev_per_class, dev_seed):
        # The model of the checkpoint is trained with this config: it would
        # have seen the development images.
        raise ValueError(
            f'{name}: the training set ({key}) sets aside dev_per_class='
            f'{trained[0]} with dev_seed={trained[1]}, not the '
            f'{dev_per_class} per class with dev_seed={dev_seed} asked for, '
            f'so a model trained with it saw the development images. Train '
            f'and tune with --cfg-options {key}.dev_per_class={dev_per_class} '
            f'{key}.dev_seed={dev_seed}.')
    evaluation = cfg.get('val_dataloader') or cfg.get('test_dataloader')
    pipeline = _pipeline((evaluation or {}).get('dataset'))
    if pipeline is None:
        raise ValueError(f'{name}: neither val_dataloader nor '
                         f'test_dataloader has a dataset pipeline to load '
                         f'the development split with.')
    pool = copy.deepcopy(long_tail['dataset'])
    pool['pipeline'] = copy.deepcopy(pipeline)
    return dict(
        type='LongTailDataset',
        split='dev',
        dev_per_class=dev_per_class,
        dev_seed=dev_seed,
        dataset=pool)


def use_dev_split(cfg: Config,
                  dev_per_class: int,
                  dev_seed: int = 0,
                  name: str = 'the config') -> None:
    """Make ``cfg``'s validation set the development split, in place.

    ``val_dataloader`` keeps its batch size, sampler and workers; only its
    dataset is replaced by :func:`dev_dataset`. ``val_evaluator`` and
    ``val_cfg`` stay (the evaluator's groups come from the checkpoint's
    class counts).
    """
    dataset = dev_dataset(cfg, dev_per_class, dev_seed, name)
    if not cfg.get('val_dataloader'):
        raise ValueError(f'{name} has no val_dataloader; the tuners evaluate '
                         f'with the validation loop.')
    cfg.val_dataloader.dataset = dataset


def split_record(args) -> dict:
    """What the tuners write about the split they evaluated on."""
    if args.dev_per_class is None:
        return dict(split='val')
    return dict(
        split='dev', dev_per_class=args.dev_per_class, dev_seed=args.dev_seed)


def split_description(args) -> str:
    """The split the tuners evaluated on, in words."""
    if args.dev_per_class is None:
        return 'the validation set'
    return (f'the development split ({args.dev_per_class} images per class '
            f'of the training pool, dev_seed {args.dev_seed})')
