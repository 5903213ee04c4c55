# Copyright (c) mmlt contributors. All rights reserved.
"""Benchmark recipes of a chosen length, with the same budget for every
method.

The Fashion-MNIST-LT configs hold the quick recipe: a one-stage method
trains 6 epochs, and a second stage (classifier re-training, GLAG's feature
generation, RIDE's router, GML) adds 2. A recipe of ``E`` epochs (a multiple
of 6) gives every method the same total budget instead:

- a method with one trained stage trains ``E`` epochs;
- a two-stage method trains ``E - E / 6`` epochs, then ``E / 6`` (so 20 + 4
  at 24 epochs, the share of cRT's and MiSLAS's second stages in their
  papers' recipes);
- the one-epoch linear warm-up stays one epoch; every other epoch index of
  a stage (the end of its cosine, CosineRestartLR's restart, deferred
  re-weighting's epoch, the meta stage's start, a one-run cRT's switch)
  keeps its share of the stage: ``round(x * L / L0)`` for a stage of ``L0``
  epochs in its config and ``L`` in the recipe.

The result is a list of ``--cfg-options`` per stage, so a run's record
(``run.json``) names every changed value.
"""
from typing import Callable, List, Sequence

from mmengine.config import Config

#: Epoch-indexed keys of hooks and models that :func:`recipe_options`
#: scales; any other key with "epoch" in its name is refused, so that a new
#: method's schedule cannot silently keep the quick recipe's value.
HOOK_EPOCH_KEYS = ('drw_epoch', 'switch_epoch')
MODEL_EPOCH_KEYS = ('meta_start_epoch', )
_NOT_AN_INDEX = ('by_epoch', 'max_epochs')
SCHEDULERS = ('LinearLR', 'CosineAnnealingLR', 'CosineRestartLR')


def stage_lengths(trained: Sequence[bool], epochs: int) -> List[int]:
    """Training epochs of each stage of a method in an ``epochs`` recipe.

    Args:
        trained (Sequence[bool]): Whether each stage trains (a test-only
            stage, e.g. tau-normalisation, gets 0).
        epochs (int): The recipe's total budget, a multiple of 6.

    Returns:
        list[int]: Epochs per stage, summing to ``epochs``.
    """
    if epochs < 6 or epochs % 6:
        raise ValueError(f'--epochs must be a multiple of 6 (6, 12, 24, ...) '
                         f'so that a second stage gets a whole sixth; got '
                         f'{epochs}.')
    n_trained = sum(bool(t) for t in trained)
    if n_trained == 1:
        lengths = [epochs]
    elif n_trained == 2:
        lengths = [epochs - epochs // 6, epochs // 6]
    else:
        raise ValueError(f'a recipe splits its budget between one or two '
                         f'trained stages, got {n_trained}.')
    it = iter(lengths)
    return [next(it) if t else 0 for t in trained]


def epoch_scaler(length: int, config_length: int,
                 warmup_end: int) -> Callable[[int], int]:
    """``x -> round(x * length / config_length)``, except the warm-up's
    boundaries (``x <= warmup_end``), which stay."""

    def scale(x: int) -> int:
        if x <= warmup_end:
            return int(x)
        return max(warmup_end + 1, int(round(x * length / config_length)))

    return scale


def _warmup_end(schedulers: Sequence[dict]) -> int:
    """End of a linear warm-up that starts the stage, else 0."""
    for scheduler in schedulers:
        if scheduler.get('type') == 'LinearLR' and scheduler.get('begin',
                                                                 0) == 0:
            return int(scheduler['end'])
    return 0


def recipe_options(cfg: Config, length: int, name: str = '') -> List[str]:
    """``--cfg-options`` that make a stage's config train ``length`` epochs.

    Args:
        cfg (Config): The stage's config (its quick recipe).
        length (int): Epochs of the stage in the recipe.
        name (str): The config's path, for error messages.

    Returns:
        list[str]: ``key=value`` overrides; empty when the config already
        trains ``length`` epochs.
    """
    config_length = int(cfg.train_cfg.get('max_epochs', 0))
    if not cfg.train_cfg.get('by_epoch', True) or config_length <= 0:
        raise ValueError(f'{name}: a recipe scales epoch-based configs; '
                         f'train_cfg has no max_epochs.')
    if length == config_length:
        return []
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    scale = epoch_scaler(length, config_length, _warmup_end(schedulers))
    options = [f'train_cfg.max_epochs={length}']
    for i, scheduler in enumerate(schedulers):
        kind = scheduler.get('type')
        if kind not in SCHEDULERS or not scheduler.get('by_epoch', True):
            raise ValueError(
                f'{name}: param_scheduler[{i}] ({kind}, by_epoch='
                f'{scheduler.get("by_epoch", True)}) is not one the recipe '
                f'knows how to scale ({", ".join(SCHEDULERS)}, by epoch); '
                f'add it to tools/benchmarks/recipe.py.')
        begin = int(scheduler.get('begin', 0))
        end = int(scheduler.get('end', config_length))
        new_begin, new_end = scale(begin), scale(end)
        if new_begin != begin:
            options.append(f'param_scheduler.{i}.begin={new_begin}')
        if new_end != end:
            options.append(f'param_scheduler.{i}.end={new_end}')
        if kind == 'CosineRestartLR':
            bounds = [begin]
            for period in scheduler['periods']:
                bounds.append(bounds[-1] + int(period))
            new_bounds = [scale(b) for b in bounds]
            periods = [b - a for a, b in zip(new_bounds, new_bounds[1:])]
            options.append(f'param_scheduler.{i}.periods='
                           f'[{",".join(map(str, periods))}]')
    for i, hook in enumerate(cfg.get('custom_hooks', [])):
        options += _index_options(
            hook, f'custom_hooks.{i}', HOOK_EPOCH_KEYS, 'HOOK_EPOCH_KEYS',
            scale, f'{name}: custom_hooks[{i}] ({hook.get("type")})')
    options += _index_options(
        cfg.get('model', {}), 'model', MODEL_EPOCH_KEYS, 'MODEL_EPOCH_KEYS',
        scale, name)
    return options


def _index_options(node, path: str, known: Sequence[str], known_name: str,
                   scale: Callable[[int], int], where: str) -> List[str]:
    """``path.key=scaled`` for the epoch indices ``known`` directly under
    ``node``; any other key with "epoch" in its name, at any depth, is
    refused, naming it and the list to add it to."""
    options = []
    for key, value in _epoch_keys(node, path):
        parent, _, leaf = key.rpartition('.')
        if parent != path or leaf not in known:
            raise ValueError(
                f'{where}: {key}={value} is not an epoch index the recipe '
                f'knows how to scale; add it to {known_name} in '
                f'tools/benchmarks/recipe.py.')
        options.append(f'{key}={scale(value)}')
    return options


def _epoch_keys(node, path: str):
    """``(dotted key, value)`` of every key with "epoch" in its name below
    ``node`` (dicts and lists, at any depth), except ``by_epoch`` and
    ``max_epochs``."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f'{path}.{key}'
            if 'epoch' in str(key) and key not in _NOT_AN_INDEX:
                yield here, value
            else:
                yield from _epoch_keys(value, here)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _epoch_keys(value, f'{path}.{i}')
