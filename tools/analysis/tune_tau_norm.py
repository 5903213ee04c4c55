# Copyright (c) mmlt contributors. All rights reserved.
"""Pick the τ of a τ-normalised (or post-hoc logit-adjusted) head on the
validation set, or on a development split of the training pool.

The config's head must have a ``tau`` (``TauNormHead``,
``LogitAdjustedLinearClsHead``); the checkpoint may be that of a plain
``LinearClsHead`` (e.g. the CE model). The backbone features of the
validation set are computed once and re-scored for every τ. Example::

    python tools/analysis/tune_tau_norm.py \
        configs/decoupling/tau-norm_resnet8_1xb128_fashion-mnist-lt-r100.py \
        work_dirs/ce_resnet8_1xb128_fashion-mnist-lt-r100/epoch_6.pth \
        --taus 0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0

It prints one row of metrics per τ, marks the best by ``--metric`` (ties go
to the τ closest to the config's, then to the smaller) and writes the table
to ``--out``, by default ``<checkpoint>_tau.json`` next to the checkpoint
(``_1``, ``_2``, ... are appended rather than overwriting).

Where ``val_dataloader`` is the test set (mmlt's Fashion-MNIST-LT and
CIFAR-LT configs), tune on a development split of the training pool
instead: ``--dev-per-class K --dev-seed S`` evaluates on the K images per
class that a training run with ``train_dataloader.dataset.dev_per_class=K``
and ``dev_seed=S`` set aside (``dev_split.py``); pass those two options with
``--cfg-options`` as the checkpoint's training did.
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.fileio import dump
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from torch import nn

import mmlt  # noqa: F401  registers mmlt's modules into mmpretrain
from mmlt.engine.hooks.per_class_recall_hook import free_stem

# The development split is built in one place for both tuners.
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import dev_split  # noqa: E402

DEFAULT_TAUS = [round(0.1 * i, 1) for i in range(11)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Evaluate a head with `tau` on the validation set for '
        'several tau and report the best.')
    parser.add_argument('config', help='config whose head has a `tau`')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--taus',
        nargs='+',
        type=float,
        default=DEFAULT_TAUS,
        help='values of tau to try (default: 0, 0.1, ..., 1.0)')
    parser.add_argument(
        '--metric',
        default='long-tail/top1',
        help='the validation metric to maximise (default: long-tail/top1)')
    dev_split.add_dev_arguments(parser)
    parser.add_argument(
        '--out',
        help='JSON file for the results (default: next to the checkpoint, '
        '<checkpoint>_tau.json; never overwritten)')
    parser.add_argument(
        '--work-dir', help='where the runner logs (default: work_dirs/...)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. key1=v1 key2.sub=v2')
    return parser.parse_args(argv)


@torch.no_grad()
def extract_features(model, dataloader) -> List[Tuple[tuple, list]]:
    """Features and data samples of every batch, computed once.

    Args:
        model (BaseModel): An mmpretrain ``ImageClassifier``.
        dataloader (DataLoader): The evaluation dataloader.

    Returns:
        list[tuple]: ``(feats, data_samples)`` per batch, as the head's
        ``predict`` takes them.
    """
    model.eval()
    batches = []
    for data_batch in dataloader:
        data = model.data_preprocessor(data_batch, False)
        feats = model.extract_feat(data['inputs'])
        batches.append((tuple(feats), data['data_samples']))
    return batches


@torch.no_grad()
def evaluate_tau(head, batches: Sequence[Tuple[tuple, list]], evaluator,
                 size: int, tau: float) -> Dict[str, float]:
    """Set the head's τ, score the cached features and evaluate.

    Args:
        head (nn.Module): A head with a ``tau`` attribute and ``predict``.
        batches (Sequence[tuple]): The output of :func:`extract_features`.
        evaluator (Evaluator): The validation evaluator.
        size (int): The number of samples of the dataset.
        tau (float): The τ to evaluate.

    Returns:
        dict[str, float]: The evaluator's metrics.
    """
    head.tau = tau
    for feats, data_samples in batches:
        evaluator.process(data_samples=head.predict(feats, data_samples))
    return evaluator.evaluate(size)


def best_tau(results: Sequence[dict],
             metric: str,
             default: Optional[float] = None) -> dict:
    """The result with the highest ``metric``.

    Args:
        results (Sequence[dict]): ``dict(tau, metrics)`` per τ.
        metric (str): The metric to maximise.
        default (float, optional): The config's τ: ties go to the τ closest
            to it (no change without evidence), then to the smaller τ.
            Defaults to None (ties go to the smaller τ).
    """

    def key(res):
        distance = 0.0 if default is None else abs(res['tau'] - default)
        return (res['metrics'][metric], -distance, -res['tau'])

    return max(results, key=key)


def format_table(results: Sequence[dict], best: dict) -> str:
    """A Markdown table of the results, one row per τ, best marked."""
    keys = [
        k for k, v in results[0]['metrics'].items()
        if isinstance(v, (int, float))
    ]
    names = [k.split('/')[-1] for k in keys]
    lines = [
        '| tau | ' + ' | '.join(names) + ' |',
        '| ---: | ' + ' | '.join('---:' for _ in names) + ' |',
    ]
    for res in results:
        mark = ' *' if res is best else ''
        cells = [f'{float(res["metrics"][k]):.2f}' for k in keys]
        lines.append(f'| {res["tau"]:g}{mark} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def default_out(checkpoint: str, suffix: str = '_tau') -> str:
    """``<checkpoint stem><suffix>.json`` next to it, never an existing
    file."""
    directory = osp.dirname(osp.abspath(checkpoint))
    stem = osp.splitext(osp.basename(checkpoint))[0] + suffix
    return osp.join(directory,
                    free_stem(directory, stem, ('.json', )) + '.json')


def check_paths(args, suffix: str) -> str:
    """Check ``args.checkpoint`` and ``args.out``; return the output path
    (``args.out``, or :func:`default_out` with ``suffix``)."""
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint {args.checkpoint!r} does not exist; pass the path of '
            f'a .pth file written by tools/train.py.')
    if args.out is not None and osp.exists(args.out):
        raise FileExistsError(f'{args.out} exists; choose another --out.')
    return args.out or default_out(args.checkpoint, suffix)


def validation_features(args, tool: str, check_head: Callable[[nn.Module],
                                                              None]):
    """Build ``args.config``'s runner with ``args.checkpoint`` loaded and
    cache the head's inputs on the validation set (the development split
    with ``args.dev_per_class``).

    Args:
        args (Namespace): ``config``, ``checkpoint``, ``cfg_options``,
            ``work_dir``, ``dev_per_class`` and ``dev_seed`` of the tool's
            command line.
        tool (str): The tool's name, for the default work dir.
        check_head (Callable): Raises if the model's head cannot be tuned
            by the tool; called before any data is read.

    Returns:
        tuple: ``(head, batches, evaluator, size)``: the model's head, the
        output of :func:`extract_features`, the validation evaluator and
        the number of validation samples.
    """
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.dev_per_class is not None:
        dev_split.use_dev_split(cfg, args.dev_per_class, args.dev_seed,
                                args.config)
    name = osp.splitext(osp.basename(args.config))[0]
    cfg.work_dir = args.work_dir or osp.join('./work_dirs', tool, name)
    cfg.load_from = args.checkpoint
    cfg.launcher = 'none'

    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    check_head(model.head)
    # As Runner.val(): build the loop first so that the class counts of the
    # checkpoint reach its metrics.
    val_loop = runner.val_loop
    if val_loop is None:
        raise ValueError(f'{args.config} has no val_dataloader/val_evaluator.')
    runner.call_hook('before_run')
    runner.load_or_resume()
    batches = extract_features(model, val_loop.dataloader)
    return (model.head, batches, val_loop.evaluator,
            len(val_loop.dataloader.dataset))


def check_tau_head(head: nn.Module) -> None:
    """Refuse a head without a ``tau``."""
    if not isinstance(getattr(type(head), 'tau', None), property):
        raise TypeError(
            f'{type(head).__name__} has no `tau`; use a config whose head is '
            f'TauNormHead or LogitAdjustedLinearClsHead, e.g. configs/'
            f'decoupling/tau-norm_*.')


def main(argv=None):
    args = parse_args(argv)
    out = check_paths(args, '_tau')
    if any(not tau >= 0 for tau in args.taus):
        raise ValueError(f'--taus must be >= 0, got {args.taus}.')

    head, batches, evaluator, size = validation_features(
        args, 'tune_tau_norm', check_tau_head)
    default = head.tau  # the config's, before the search sets it
    results = []
    for tau in args.taus:
        metrics = evaluate_tau(head, batches, evaluator, size, tau)
        if args.metric not in metrics:
            raise KeyError(f'--metric {args.metric!r} is not among the '
                           f'validation metrics {sorted(metrics)}.')
        results.append(dict(tau=tau, metrics=metrics))
    best = best_tau(results, args.metric, default)

    print(f'{type(head).__name__} on {dev_split.split_description(args)} of '
          f'{args.config} ({size} images), checkpoint {args.checkpoint}:')
    print(format_table(results, best))
    print(f'Best tau: {best["tau"]:g} ({args.metric} = '
          f'{best["metrics"][args.metric]:.2f})')
    dump(
        dict(
            config=args.config,
            checkpoint=args.checkpoint,
            head=type(head).__name__,
            **dev_split.split_record(args),
            size=size,
            metric=args.metric,
            default_tau=default,
            best_tau=best['tau'],
            best_value=best['metrics'][args.metric],
            results=results),
        out,
        indent=2)
    print(f'Written to {out}; test with --cfg-options '
          f'model.head.tau={best["tau"]:g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
