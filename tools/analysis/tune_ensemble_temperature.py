# Copyright (c) mmlt contributors. All rights reserved.
"""Pick the two temperatures of an ``EnsembleClsHead`` on the validation set
or on a development split of the training pool.

The ensemble of "No One Left Behind" (CVPR 2023) predicts with
``(softmax(o_new / t_new) + softmax(o_old / t_old)) / 2``. This tool takes
the config of the ensemble stage (``configs/gml/*-ensemble_*``) and a
checkpoint of it (which holds both classifiers), computes the backbone
features of the validation set once, and scores every pair of the two
temperature grids. Example::

    python tools/analysis/tune_ensemble_temperature.py \
        configs/gml/ce-gml-ensemble_resnet32_1xb128_cifar100-lt-r100.py \
        work_dirs/ce-gml-ensemble_resnet32_1xb128_cifar100-lt-r100/epoch_10.pth

It prints one row of metrics per pair, marks the best by ``--metric``
(default ``long-tail/hmean_recall``, the harmonic mean of the per-class
recalls the paper sets out to raise; ties go to the pair closest to the
config's temperatures, then to the smaller ones) and writes the table to
``--out``, by default ``<checkpoint>_temperature.json`` next to the
checkpoint (``_1``, ``_2``, ... are appended rather than overwriting).

Mind which split ``val_dataloader`` is: where it is the test set (mmlt's
Fashion-MNIST-LT and CIFAR-LT configs), tuning on it is tuning on the test
set. Tune there on a development split of the training pool instead:
``--dev-per-class K --dev-seed S`` evaluates on the K images per class that
a training run with ``train_dataloader.dataset.dev_per_class=K`` and
``dev_seed=S`` set aside (``dev_split.py``, shared with ``tune_tau_norm.py``);
pass those two options with ``--cfg-options`` as the training did.
"""
import argparse
import math
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import DictAction
from mmengine.fileio import dump

import mmlt  # noqa: F401  registers mmlt's modules into mmpretrain
from mmlt.models.heads import EnsembleClsHead

# Loading the model, caching the validation features and the development
# split are shared with the τ tool, not copied.
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import dev_split  # noqa: E402
from tune_tau_norm import check_paths, validation_features  # noqa: E402

#: Powers of two from 1/32 to 8: wide enough for cosine classifiers, whose
#: logits in [-1, 1] need temperatures around 1/30.
DEFAULT_TEMPERATURES = [2.0**k for k in range(-5, 4)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate an EnsembleClsHead on the validation set for '
        'every pair of temperatures and report the best.')
    parser.add_argument('config', help='config whose head is EnsembleClsHead')
    parser.add_argument(
        'checkpoint',
        help='checkpoint of a run of that config (it holds both '
        'classifiers)')
    parser.add_argument(
        '--new-temperatures',
        nargs='+',
        type=float,
        default=DEFAULT_TEMPERATURES,
        help='values of t_new to try (default: 1/32, 1/16, ..., 8)')
    parser.add_argument(
        '--old-temperatures',
        nargs='+',
        type=float,
        default=DEFAULT_TEMPERATURES,
        help='values of t_old to try (default: 1/32, 1/16, ..., 8)')
    parser.add_argument(
        '--metric',
        default='long-tail/hmean_recall',
        help='the validation metric to maximise (default: '
        'long-tail/hmean_recall)')
    dev_split.add_dev_arguments(parser)
    parser.add_argument(
        '--out',
        help='JSON file for the results (default: next to the checkpoint, '
        '<checkpoint>_temperature.json; never overwritten)')
    parser.add_argument(
        '--work-dir', help='where the runner logs (default: work_dirs/...)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. key1=v1 key2.sub=v2')
    return parser.parse_args(argv)


@torch.no_grad()
def evaluate_temperatures(head: EnsembleClsHead,
                          batches: Sequence[Tuple[tuple, list]], evaluator,
                          size: int, new_temperature: float,
                          old_temperature: float) -> Dict[str, float]:
    """Set the head's temperatures, score the cached features, evaluate.

    Args:
        head (EnsembleClsHead): The head.
        batches (Sequence[tuple]): ``(feats, data_samples)`` per batch, as
            ``tune_tau_norm.extract_features`` returns them.
        evaluator (Evaluator): The validation evaluator.
        size (int): The number of samples of the dataset.
        new_temperature (float): :math:`t_{new}`.
        old_temperature (float): :math:`t_{old}`.

    Returns:
        dict[str, float]: The evaluator's metrics.
    """
    head.new_temperature = new_temperature
    head.old_temperature = old_temperature
    for feats, data_samples in batches:
        evaluator.process(data_samples=head.predict(feats, data_samples))
    return evaluator.evaluate(size)


def search_temperatures(head: EnsembleClsHead,
                        batches: Sequence[Tuple[tuple, list]],
                        evaluator,
                        size: int,
                        new_temperatures: Sequence[float],
                        old_temperatures: Sequence[float],
                        metric: str,
                        default: Optional[Tuple[float, float]] = None
                        ) -> Tuple[List[dict], dict]:
    """Evaluate every pair of the two grids and pick the best.

    Args:
        default (tuple[float, float], optional): The config's
            ``(t_new, t_old)``, which ties go to (see :func:`best_pair`).
            Defaults to None (``(1, 1)``).

    Returns:
        tuple[list[dict], dict]: One ``dict(new_temperature,
        old_temperature, metrics)`` per pair, in grid order, and the best
        of them (see :func:`best_pair`).
    """
    results = []
    for t_new in new_temperatures:
        for t_old in old_temperatures:
            metrics = evaluate_temperatures(head, batches, evaluator, size,
                                            t_new, t_old)
            if metric not in metrics:
                raise KeyError(f'--metric {metric!r} is not among the '
                               f'validation metrics {sorted(metrics)}.')
            results.append(
                dict(
                    new_temperature=t_new,
                    old_temperature=t_old,
                    metrics=metrics))
    return results, best_pair(results, metric, default)


def best_pair(results: Sequence[dict],
              metric: str,
              default: Optional[Tuple[float, float]] = None) -> dict:
    """The result with the highest ``metric``.

    Ties (the ensemble's argmax often depends on the temperatures' ratio
    only) go to the pair closest to the config's (the smallest
    ``|log(t_new / d_new)| + |log(t_old / d_old)|``; no change without
    evidence), then to the smaller temperatures.

    Args:
        results (Sequence[dict]): ``dict(new_temperature, old_temperature,
            metrics)`` per pair.
        metric (str): The metric to maximise.
        default (tuple[float, float], optional): The config's
            ``(d_new, d_old)``. Defaults to None (``(1, 1)``).
    """
    d_new, d_old = default or (1.0, 1.0)

    def key(res):
        t_new, t_old = res['new_temperature'], res['old_temperature']
        distance = abs(math.log(t_new / d_new)) + abs(math.log(t_old / d_old))
        return (res['metrics'][metric], -distance, -t_new, -t_old)

    return max(results, key=key)


def format_table(results: Sequence[dict], best: dict) -> str:
    """A Markdown table of the results, one row per pair, best marked."""
    keys = [
        k for k, v in results[0]['metrics'].items()
        if isinstance(v, (int, float))
    ]
    names = [k.split('/')[-1] for k in keys]
    lines = [
        '| t_new | t_old | ' + ' | '.join(names) + ' |',
        '| ---: | ---: | ' + ' | '.join('---:' for _ in names) + ' |',
    ]
    for res in results:
        mark = ' *' if res is best else ''
        cells = [f'{float(res["metrics"][k]):.2f}' for k in keys]
        lines.append(f'| {res["new_temperature"]:g} | '
                     f'{res["old_temperature"]:g}{mark} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def check_has_old_classifier(checkpoint: str) -> None:
    """Refuse a checkpoint without ``head.old_fc``: the head would make its
    own classifier the old one and tune an ensemble of it with itself."""
    state = torch.load(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    if not any(key.startswith('head.old_fc.') for key in state):
        raise ValueError(
            f'{checkpoint} has no head.old_fc: it was not trained with '
            f'EnsembleClsHead. Train the ensemble config (e.g. configs/gml/'
            f'ce-gml-ensemble_*) with load_from=<the pre-trained checkpoint> '
            f'and pass its checkpoint.')


def main(argv=None):
    args = parse_args(argv)
    out = check_paths(args, '_temperature')
    for name in ('new_temperatures', 'old_temperatures'):
        values = getattr(args, name)
        if any(not (t > 0 and math.isfinite(t)) for t in values):
            raise ValueError(f'--{name.replace("_", "-")} must be finite '
                             f'and > 0, got {values}.')

    def check_head(head):
        if not isinstance(head, EnsembleClsHead):
            raise TypeError(
                f'{type(head).__name__} is not an EnsembleClsHead; use a '
                f'config whose head is, e.g. configs/gml/ce-gml-ensemble_*.')
        check_has_old_classifier(args.checkpoint)

    head, batches, evaluator, size = validation_features(
        args, 'tune_ensemble_temperature', check_head)
    # The config's, before the search sets them.
    default = (head.new_temperature, head.old_temperature)
    results, best = search_temperatures(head, batches, evaluator, size,
                                        args.new_temperatures,
                                        args.old_temperatures, args.metric,
                                        default)

    print(f'{type(head).__name__} on {dev_split.split_description(args)} of '
          f'{args.config} ({size} images), checkpoint {args.checkpoint}:')
    print(format_table(results, best))
    print(f'Best: t_new {best["new_temperature"]:g}, t_old '
          f'{best["old_temperature"]:g} ({args.metric} = '
          f'{best["metrics"][args.metric]:.2f})')
    dump(
        dict(
            config=args.config,
            checkpoint=args.checkpoint,
            head=type(head).__name__,
            **dev_split.split_record(args),
            size=size,
            metric=args.metric,
            default_new_temperature=default[0],
            default_old_temperature=default[1],
            best_new_temperature=best['new_temperature'],
            best_old_temperature=best['old_temperature'],
            best_value=best['metrics'][args.metric],
            results=results),
        out,
        indent=2)
    print(f'Written to {out}; test with --cfg-options '
          f'model.head.new_temperature={best["new_temperature"]:g} '
          f'model.head.old_temperature={best["old_temperature"]:g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
