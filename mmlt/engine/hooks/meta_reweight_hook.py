# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import Dict, Optional

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmlt.evaluation.functional.long_tail import shot_groups
from mmlt.utils import count_classes

#: The checkpoint key of the running epsilon statistics.
CHECKPOINT_KEY = 'meta_reweight_eps_stats'


def accumulate_epsilon(stats: Optional[Dict[str,
                                            torch.Tensor]], eps: torch.Tensor,
                       weight: torch.Tensor, labels: torch.Tensor,
                       num_classes: int) -> Dict[str, torch.Tensor]:
    r"""Fold one step's :math:`\epsilon` into running per-class sums.

    Everything stays on the device of ``eps`` (no host sync).

    Args:
        stats (dict, optional): The running statistics, None to start.
        eps (torch.Tensor): :math:`\epsilon` of every sample ``(N, )``.
        weight (torch.Tensor): The sample weights :math:`w_y + \epsilon`
            ``(N, )``.
        labels (torch.Tensor): Class indices ``(N, )``.
        num_classes (int): ``C``.

    Returns:
        dict: ``sum`` and ``count`` per class ``(C, )``, ``min``, ``max`` of
        :math:`\epsilon` and ``negative`` (weights below 0), as float32.
    """
    eps = eps.detach().float()
    if stats is None:
        stats = dict(
            sum=eps.new_zeros(num_classes),
            count=eps.new_zeros(num_classes),
            min=eps.new_full((), float('inf')),
            max=eps.new_full((), float('-inf')),
            negative=eps.new_zeros(()))
    labels = labels.to(eps.device)
    stats['sum'].index_add_(0, labels, eps)
    stats['count'].index_add_(0, labels, torch.ones_like(eps))
    stats['min'] = torch.minimum(stats['min'], eps.min())
    stats['max'] = torch.maximum(stats['max'], eps.max())
    stats['negative'] = stats['negative'] + (weight.detach() < 0).sum()
    return stats


def summarize_epsilon(stats: Dict[str, torch.Tensor], class_counts,
                      many_thr: int, few_thr: int) -> Dict[str, float]:
    r"""Range, mean and mean per shot group of the accumulated
    :math:`\epsilon`.

    Args:
        stats (dict): From :func:`accumulate_epsilon` (reduced over ranks).
        class_counts (Sequence[int]): Training images per class.
        many_thr (int): Many-shot: more images than this.
        few_thr (int): Few-shot: fewer images than this.

    Returns:
        dict[str, float]: ``eps_min``, ``eps_max``, ``eps_mean``,
        ``eps_mean_<group>`` for every shot group with samples (``many``,
        ``medium``, ``few``), ``negative_weight_frac`` and ``samples``.
    """
    sums = stats['sum'].double().cpu().numpy()
    counts = stats['count'].double().cpu().numpy()
    total = counts.sum()
    out = dict(
        eps_min=float(stats['min']),
        eps_max=float(stats['max']),
        eps_mean=float(sums.sum() / total) if total else float('nan'),
        negative_weight_frac=float(stats['negative']) /
        total if total else float('nan'),
        samples=int(total))
    for group, mask in shot_groups(class_counts, many_thr, few_thr).items():
        n = counts[mask].sum()
        if n:
            out[f'eps_mean_{group}'] = float(sums[mask].sum() / n)
    return out


@HOOKS.register_module()
class MetaReweightHook(Hook):
    r"""Feed :class:`~mmlt.models.classifiers.MetaReweightClassifier` its
    meta inputs.

    Before every training iteration the model gets the epoch (which decides
    between pre-training and the meta stage), and in the meta stage the
    optimizer's current learning rate :math:`\eta` and the next batch of
    the balanced development set (Jamal et al., CVPR 2020).

    The development batches come from their own dataloader, built from the
    config's ``dev_dataloader`` (``configs/_base_/datasets/*_with_dev.py``)
    with the run's seed, so its sampler shards the set over the ranks. The
    batch of iteration ``runner.iter`` is batch ``runner.iter % n`` of pass
    ``runner.iter // n`` over the set (``n`` batches a pass, the sampler's
    epoch set to the pass): it follows from the iteration alone, so a
    resumed run draws the same batches as an uninterrupted one and the hook
    keeps no state.

    After every epoch with meta steps it logs the statistics of the learned
    :math:`\epsilon` over the epoch (all ranks): range, mean, mean per shot
    group (many/medium/few by the training counts and the thresholds of
    the config's ``LongTailMetric``), and the fraction of negative weights
    :math:`w_y + \epsilon < 0`; for L2RW the statistics are of its weights.
    They go to the log, to the message hub's runtime info
    ``meta_reweight/eps`` and to the visualizer's scalars
    (``meta_reweight/<name>`` at the epoch). The running sums live on the
    device (no host sync per step) and in the checkpoint, so a run resumed
    mid-epoch reports the whole epoch.

    Errors before training: no ``dev_dataloader``, an empty development set,
    a class absent from it, or a model that is not a
    ``MetaReweightClassifier``.

    Args:
        dataloader_key (str): The config key of the development dataloader.
            Defaults to ``'dev_dataloader'``.
        many_thr (int, optional): Many-shot classes have more training
            images. Defaults to None (the config's ``LongTailMetric``'s,
            else 100).
        few_thr (int, optional): Few-shot classes have fewer. Defaults to
            None (the config's ``LongTailMetric``'s, else 20).
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    def __init__(self,
                 dataloader_key: str = 'dev_dataloader',
                 many_thr: Optional[int] = None,
                 few_thr: Optional[int] = None,
                 priority: str = 'NORMAL') -> None:
        self.dataloader_key = dataloader_key
        self.many_thr = many_thr
        self.few_thr = few_thr
        self.priority = priority
        self._stats: Optional[Dict[str, torch.Tensor]] = None
        self._thresholds = (100 if many_thr is None else many_thr,
                            20 if few_thr is None else few_thr)
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
        self._thresholds = _shot_thresholds(runner.cfg, self.many_thr,
                                            self.few_thr)
        runner.logger.info(
            f'{name}: development set of {len(dataset)} images '
            f'({int(counts.min())}-{int(counts.max())} per class), '
            f'{len(self._loader)} batches a pass; meta stage from epoch '
            f'{model.meta_start_epoch}.')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        """Hand the model the epoch and, in the meta stage, lr and batch."""
        model = _unwrap(runner.model)
        if not model.needs_dev_batch(runner.epoch):
            model.set_meta_inputs(runner.epoch)
            return
        model.set_meta_inputs(runner.epoch, _current_lr(runner),
                              self.dev_batch(runner.iter))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        """Release the development batch; fold the step's eps into the
        epoch's statistics."""
        model = _unwrap(runner.model)
        model.clear_meta_inputs()
        record, model.meta_record = model.meta_record, None
        if record is not None:
            self._stats = accumulate_epsilon(self._stats, record['eps'],
                                             record['weight'],
                                             record['labels'],
                                             model.get_class_counts().numel())

    def after_train_epoch(self, runner) -> None:
        """Log the epoch's eps statistics (reduced over ranks)."""
        stats, self._stats = self._stats, None
        if stats is None:
            return
        for key, op in (('sum', 'sum'), ('count', 'sum'), ('min', 'min'),
                        ('max', 'max'), ('negative', 'sum')):
            dist.all_reduce(stats[key], op=op)
        model = _unwrap(runner.model)
        summary = summarize_epsilon(stats,
                                    model.get_class_counts().cpu().numpy(),
                                    *self._thresholds)
        name = 'weights' if model.variant == 'l2rw' else 'eps'
        runner.logger.info(
            f'{type(self).__name__}: epoch {runner.epoch + 1} {name} over '
            f'{summary["samples"]} samples: ' +
            ', '.join(f'{k} {v:.4g}'
                      for k, v in summary.items() if k != 'samples'))
        runner.message_hub.update_info('meta_reweight/eps', summary)
        runner.visualizer.add_scalars(
            {f'meta_reweight/{k}': v
             for k, v in summary.items()},
            step=runner.epoch + 1)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the running statistics of a checkpoint taken mid-epoch."""
        if self._stats is not None:
            checkpoint[CHECKPOINT_KEY] = {
                k: v.detach().cpu()
                for k, v in self._stats.items()
            }

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore the running statistics (on the model's device)."""
        saved = checkpoint.get(CHECKPOINT_KEY)
        if saved is None:
            self._stats = None
            return
        device = next(_unwrap(runner.model).parameters()).device
        self._stats = {k: v.to(device) for k, v in saved.items()}

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


def _shot_thresholds(cfg, many_thr: Optional[int],
                     few_thr: Optional[int]) -> tuple:
    """The hook's thresholds, else the config's ``LongTailMetric``'s, else
    the standard 100 / 20."""
    metric = {}
    for key in ('test_evaluator', 'val_evaluator'):
        evaluator = cfg.get(key) or {}
        if isinstance(evaluator, dict) and \
                evaluator.get('type') == 'LongTailMetric':
            metric = evaluator
            break
    many = metric.get('many_thr', 100) if many_thr is None else many_thr
    few = metric.get('few_thr', 20) if few_thr is None else few_thr
    if few > many:
        raise ValueError(f'MetaReweightHook: few_thr ({few}) must not '
                         f'exceed many_thr ({many}).')
    return int(many), int(few)


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
