# Copyright (c) mmlt contributors. All rights reserved.
from typing import Iterator, List, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpretrain.registry import DATASETS, HOOKS

from mmlt.utils import ClassCountsMixin, count_classes

CHECKPOINT_KEY = 'class_counts'


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Hand the training set's per-class counts to every component.

    This is mmlt's one mechanism for the training distribution. Every
    :class:`~mmlt.utils.ClassCountsMixin` in the model (losses, heads) and in
    the evaluators (metrics) receives the counts:

    - before training, counted on the training set (every rank holds the
      whole dataset, so the counts are identical on all ranks without
      communication);
    - in test-only runs, from the loaded checkpoint's ``meta``, where this
      hook stores them at every save; if the checkpoint has none, from the
      config's ``train_dataloader.dataset``.

    Components configured with explicit ``class_counts=`` keep theirs. The
    hook also checks that the model head's ``num_classes`` matches the data.

    Args:
        priority (str): Runs before hooks that use the counts. Defaults to
            ``'VERY_HIGH'``.
    """

    def __init__(self, priority: str = 'VERY_HIGH'):
        self.priority = priority
        self.class_counts: Optional[np.ndarray] = None
        self.classes: Optional[List[str]] = None

    def before_run(self, runner) -> None:
        """Count the training set when the run trains."""
        train_loop = getattr(runner, '_train_loop', None)
        if isinstance(train_loop, BaseLoop):
            dataset = train_loop.dataloader.dataset
            self._set(runner, count_classes(dataset),
                      dataset.metainfo.get('classes'), 'the training set')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Use the checkpoint's counts when no training set was counted."""
        if self.class_counts is not None:
            return
        meta = checkpoint.get('meta', {})
        if CHECKPOINT_KEY in meta:
            self._set(runner, np.asarray(meta[CHECKPOINT_KEY]),
                      meta.get('dataset_meta', {}).get('classes'),
                      'the checkpoint')
            return
        dataset_cfg = (runner.cfg.get('train_dataloader') or {}).get('dataset')
        if dataset_cfg is not None:
            runner.logger.info('The checkpoint has no class counts; counting '
                               'the configured training set.')
            dataset = DATASETS.build(dataset_cfg)
            self._set(runner, count_classes(dataset),
                      dataset.metainfo.get('classes'), 'the training set')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Persist the counts so test-only runs and resumes find them."""
        if self.class_counts is not None:
            checkpoint.setdefault('meta', {})[CHECKPOINT_KEY] = [
                int(c) for c in self.class_counts
            ]

    def _set(self, runner, counts: np.ndarray, classes, source: str) -> None:
        self.class_counts = np.asarray(counts, dtype=np.int64)
        self.classes = list(classes) if classes else None
        _check_head_classes(runner, len(self.class_counts), source)
        updated = []
        for name, component in _consumers(runner):
            if component.set_class_counts(self.class_counts):
                updated.append(name)
        runner.logger.info(
            f'Class counts from {source} ({len(self.class_counts)} classes, '
            f'{int(self.class_counts.sum())} images, max/min '
            f'{self.class_counts.max()}/{max(self.class_counts.min(), 1)}) '
            f'set on: {", ".join(updated) or "no component"}.')


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _consumers(runner) -> Iterator:
    """Yield ``(name, component)`` for every ClassCountsMixin of the run."""
    for name, module in _unwrap(runner.model).named_modules():
        if isinstance(module, ClassCountsMixin):
            yield f'model.{name}' if name else 'model', module
    for loop_name in ('_val_loop', '_test_loop'):
        loop = getattr(runner, loop_name, None)
        if isinstance(loop, BaseLoop) and hasattr(loop, 'evaluator'):
            for i, metric in enumerate(loop.evaluator.metrics):
                if isinstance(metric, ClassCountsMixin):
                    yield f'{loop_name[1:-5]}_evaluator.metrics[{i}]', metric


def _check_head_classes(runner, num_classes: int, source: str) -> None:
    head = getattr(_unwrap(runner.model), 'head', None)
    head_classes = getattr(head, 'num_classes', None)
    if head_classes is not None and head_classes != num_classes:
        raise ValueError(
            f'model.head.num_classes is {head_classes} but {source} has '
            f'{num_classes} classes; set model.head.num_classes='
            f'{num_classes} (and data_preprocessor.num_classes) in the '
            f'config.')
