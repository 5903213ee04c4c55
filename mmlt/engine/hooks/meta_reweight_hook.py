# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmlt.utils import count_classes


@HOOKS.register_module()
class MetaReweightHook(Hook):
    """Feed :class:`~mmlt.models.classifiers.MetaReweightClassifier` its
    meta inputs.

    Before every training iteration the model gets the epoch (which decides
    between pre-training and the meta stage), and in the meta stage the
    optimizer's current learning rate :math:`\\eta` and the next batch of
    the balanced development set (Jamal et al., CVPR 2020).

    The development batches come from their own dataloader, built from the
    config's ``dev_dataloader`` (``configs/_base_/datasets/*_with_dev.py``)
    with the run's seed, so its sampler shards the set over the ranks. The
    batch of iteration ``runner.iter`` is batch ``runner.iter % n`` of pass
    ``runner.iter // n`` over the set (``n`` batches a pass, the sampler's
    epoch set to the pass): it follows from the iteration alone, so a
    resumed run draws the same batches as an uninterrupted one and the hook
    keeps no state.

    Errors before training: no ``dev_dataloader``, an empty development set,
    a class absent from it, or a model that is not a
    ``MetaReweightClassifier``.

    Args:
        dataloader_key (str): The config key of the development dataloader.
            Defaults to ``'dev_dataloader'``.
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    def __init__(self,
                 dataloader_key: str = 'dev_dataloader',
                 priority: str = 'NORMAL') -> None:
        self.dataloader_key = dataloader_key
        self.priority = priority
        self._loader = None
        self._iterator = None
        # (pass, position) of the batch the iterator yields next.
        self._next: Optional[tuple] = None

    def before_train(self, runner) -> None:
        """Check the model and build and check the development set."""
        from mmlt.models.classifiers import MetaReweightClassifier
        name = type(self).__name__
        model = _unwrap(runner.model)
        if not isinstance(model, MetaReweightClassifier):
            raise TypeError(
                f"{name} drives model type 'MetaReweightClassifier', got "
                f'{type(model).__name__}; set model.type in the config.')
        cfg = runner.cfg.get(self.dataloader_key)
        if not cfg:
            raise ValueError(
                f'{name}: the config has no `{self.dataloader_key}`, the '
                f'balanced development set of the meta step; inherit a '
                f"dataset base with one (configs/_base_/datasets/"
                f"*_with_dev.py) or define it like train_dataloader with a "
                f"LongTailDataset(split='dev', dev_per_class=K).")
        self._loader = runner.build_dataloader(
            copy.deepcopy(cfg), seed=runner.seed)
        dataset = self._loader.dataset
        if len(dataset) == 0 or len(self._loader) == 0:
            raise ValueError(f'{name}: the development set '
                             f'(`{self.dataloader_key}`) is empty; give '
                             f'it images of every class (dev_per_class > 0).')
        num_classes = getattr(model.head, 'num_classes', None)
        counts = count_classes(dataset, num_classes)
        missing = np.flatnonzero(counts == 0).tolist()
        if missing:
            raise ValueError(
                f'{name}: classes {missing} have no image in the development '
                f'set (`{self.dataloader_key}`), which must be balanced over '
                f'all {len(counts)} classes; raise dev_per_class or fix the '
                f'split.')
        self._iterator = None
        self._next = None
        runner.logger.info(
            f'{name}: development set of {len(dataset)} images '
            f'({int(counts.min())}-{int(counts.max())} per class), '
            f'{len(self._loader)} batches a pass; meta stage from epoch '
            f'{model.meta_start_epoch}.')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Hand the model the epoch and, in the meta stage, lr and batch."""
        model = _unwrap(runner.model)
        if not model.in_meta_stage(runner.epoch):
            model.set_meta_inputs(runner.epoch)
            return
        model.set_meta_inputs(runner.epoch, _current_lr(runner),
                              self.dev_batch(runner.iter))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        """Release the development batch."""
        _unwrap(runner.model).clear_meta_inputs()

    def dev_batch(self, iteration: int) -> dict:
        """The development batch of a (0-based, global) training iteration.

        Args:
            iteration (int): ``runner.iter``.

        Returns:
            dict: The batch as the dataloader yields it.
        """
        per_pass = len(self._loader)
        wanted = divmod(iteration, per_pass)
        if self._next != wanted:
            # A new pass, or a resumed run: re-seed the pass's order and
            # skip to the position.
            sampler = self._loader.sampler
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(wanted[0])
            self._iterator = iter(self._loader)
            for _ in range(wanted[1]):
                next(self._iterator)
        batch = next(self._iterator)
        nxt = wanted[1] + 1
        self._next = (wanted[0], nxt) if nxt < per_pass else None
        return batch


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _current_lr(runner) -> float:
    """The learning rate of this iteration's update (one for all groups)."""
    lrs = runner.optim_wrapper.get_lr()
    values = sorted({float(v) for v in lrs.get('lr', [])})
    if len(values) != 1:
        raise ValueError(
            f'MetaReweightHook: the look-ahead step needs one learning rate '
            f'for all parameter groups, got {values}; drop lr_mult from '
            f'paramwise_cfg.')
    return values[0]
