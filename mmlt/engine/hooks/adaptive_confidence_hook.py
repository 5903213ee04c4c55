# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Dict, Optional

import torch
from mmengine.dist import broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop
from mmpretrain.registry import HOOKS


def update_confidence(confidence: torch.Tensor,
                      accuracy: torch.Tensor,
                      previous: torch.Tensor,
                      step: float,
                      mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    r"""GLAG's adaptive confidence update, :math:`\lambda_c \pm` step.

    If generation improved a class's validation accuracy since the last
    evaluation, AFG should trust the head classes more (raise
    :math:`\lambda_c`); if it got worse, less (lower it). Unchanged accuracy,
    an unknown previous accuracy (NaN, the first evaluation) or an unknown
    current one (NaN, no validation sample) leave it as it is. The result is
    clipped to [0, 1].

    Args:
        confidence (torch.Tensor): :math:`\lambda` ``(C, )``.
        accuracy (torch.Tensor): Per-class validation accuracy ``(C, )``.
        previous (torch.Tensor): The previous accuracy ``(C, )``, NaN where
            unknown.
        step (float): The step size, >= 0.
        mask (torch.Tensor, optional): ``(C, )`` bool, the classes to update
            (the tail classes). Defaults to None (all).

    Returns:
        torch.Tensor: The new :math:`\lambda` ``(C, )``.
    """
    if not (math.isfinite(step) and step >= 0):
        raise ValueError(f'update_confidence: step must be >= 0, got '
                         f'{step!r}.')
    change = torch.sign(accuracy - previous)
    change = torch.nan_to_num(change, nan=0.0)
    if mask is not None:
        change = change * mask.to(change)
    return (confidence + step * change.to(confidence)).clamp(0.0, 1.0)


def check_validation_every_epoch(train_loop,
                                 val_loop,
                                 name: str = 'AdaptiveConfidenceHook') -> None:
    """Refuse a run that does not validate after every epoch.

    The adaptive confidence compares each validation with the previous one,
    so it only works as the paper describes (one step of :math:`\\lambda_c`
    per generation epoch) when every epoch is validated. Without validation
    it would silently never run (the run would be the fixed-:math:`\\lambda`
    ablation); with sparser validation one step would span several epochs
    and fewer steps would be taken. Both are errors rather than a changed
    method.

    Args:
        train_loop: The runner's train loop.
        val_loop: The runner's validation loop, None without one.
        name (str): Who asks, for the message. Defaults to
            ``'AdaptiveConfidenceHook'``.

    Raises:
        RuntimeError: Without a validation loop, with an iteration-based
            train loop, or when validation does not follow every epoch
            (``val_interval``, ``dynamic_intervals`` or ``val_begin``).
    """
    no_ad = ('or, to train with a fixed lambda, use the configuration '
             'without adaptive confidence (the `-noad` config, i.e. without '
             'AdaptiveConfidenceHook in custom_hooks).')
    if val_loop is None:
        raise RuntimeError(
            f'{name} adapts lambda from the per-class validation accuracy '
            f'after every epoch, but this run has no validation loop '
            f'(val_cfg / val_dataloader / val_evaluator are None, e.g. '
            f'tools/train.py --no-validate). Enable validation (drop '
            f'--no-validate; set val_dataloader, val_cfg and a LongTailMetric '
            f'val_evaluator) ' + no_ad)
    if isinstance(
            train_loop,
            IterBasedTrainLoop) or not hasattr(train_loop, 'val_interval'):
        raise RuntimeError(
            f'{name} updates lambda once per epoch and needs an epoch-based '
            f'train loop (train_cfg = dict(by_epoch=True, ...)), got '
            f'{type(train_loop).__name__}; ' + no_ad)
    intervals = list(
        getattr(train_loop, 'dynamic_intervals', None)
        or [train_loop.val_interval])
    val_begin = getattr(train_loop, 'val_begin', 1)
    if any(interval != 1 for interval in intervals) or val_begin > 1:
        dynamic = (f', dynamic intervals {intervals}'
                   if len(intervals) > 1 else '')
        raise RuntimeError(
            f'{name} needs validation after every epoch (one lambda step per '
            f'epoch), but train_cfg has val_interval='
            f'{train_loop.val_interval}, val_begin={val_begin}{dynamic}. Set '
            f'train_cfg.val_interval=1 and val_begin=1 (drop '
            f'dynamic_intervals), ' + no_ad)


@HOOKS.register_module()
class AdaptiveConfidenceHook(Hook):
    r"""Adapt the calibration confidence :math:`\lambda_c` of GLAG's AFG.

    After every validation, reads the per-class recall (the per-class
    accuracy) of the evaluator's ``LongTailMetric`` (its ``last_per_class``
    table, computed on the main process and broadcast to all ranks) and
    updates the tail classes' :math:`\lambda_c` of
    :class:`~mmlt.models.heads.AdaptiveFeatureGeneratorHead` with
    :func:`update_confidence`.

    **Reference.** Each update compares a validation with the previous one.
    With ``reference='start'`` (the default) the stage-one model is
    validated once before the first epoch, on the same split, so the first
    update already follows the first generation epoch and a stage of E
    epochs takes E steps (a 2-epoch stage two moves :math:`\lambda` before
    its last epoch). ``reference='first_epoch'`` only records the first
    epoch's validation (E - 1 steps, the first after epoch 2).

    :math:`\lambda` and the recorded accuracies are buffers of
    the head, hence in every checkpoint; their tail-class mean, min and max
    are logged as ``afg/confidence_{mean,min,max}`` scalars, and the
    per-class values in the log when there are at most 100 classes.

    **Validation every epoch.** Before training, the hook refuses (with
    :func:`check_validation_every_epoch`) a run that has no validation loop
    (``tools/train.py --no-validate``), an iteration-based train loop, or
    validation that does not follow every epoch (``val_interval`` > 1,
    ``val_begin`` > 1, ``dynamic_intervals``): otherwise the adaptive
    confidence would silently not run, or take fewer, longer steps. Train
    the fixed-:math:`\lambda` ablation with the ``-noad`` configs instead.
    The validation split must not be the test set: the Fashion-MNIST-LT,
    CIFAR-100-LT and iNaturalist 2018 configs validate on a balanced
    development split of the training pool, ImageNet-LT on its own
    validation list.

    **Resume.** mmengine writes the epoch's checkpoint before that epoch's
    validation, so the update of that validation is not in it. A run
    resumed after an epoch that was validated (and whose update the head's
    ``confidence_epoch`` does not hold) therefore validates the checkpoint's
    model once before training: the same weights give the same accuracies,
    hence the same :math:`\lambda` as the uninterrupted run.

    Args:
        step (float): Step size of each update, in [0, 1]. Defaults to 0.05.
        reference (str): ``'start'`` or ``'first_epoch'`` (see above).
            Defaults to ``'start'``.
        priority (str | int): Hook priority. Defaults to ``'NORMAL'``.
    """

    REFERENCES = ('start', 'first_epoch')

    def __init__(self,
                 step: float = 0.05,
                 reference: str = 'start',
                 priority='NORMAL') -> None:
        if isinstance(
                step,
                bool) or not isinstance(step,
                                        (int, float)) or not 0 <= step <= 1:
            raise ValueError(f'{type(self).__name__}: `step` must be a '
                             f'number in [0, 1], got {step!r}.')
        if reference not in self.REFERENCES:
            raise ValueError(f'{type(self).__name__}: `reference` must be one '
                             f'of {self.REFERENCES}, got {reference!r}.')
        self.step = float(step)
        self.reference = reference
        self.priority = priority

    def before_train(self, runner) -> None:
        """Check that every epoch is validated; redo the validation that
        followed the resumed checkpoint."""
        loop = runner.train_loop
        check_validation_every_epoch(loop, runner.val_loop,
                                     type(self).__name__)
        head = self._head(runner)
        epoch = runner.epoch
        if epoch == 0:
            # A new stage: accuracies loaded with the weights (load_from a
            # stage-two checkpoint) are not this stage's reference.
            head.prev_class_acc.fill_(math.nan)
            head.confidence_epoch.fill_(-1)
        # Every epoch is validated (checked above): so was the last one.
        validated = epoch > 0
        if validated and int(head.confidence_epoch) < epoch:
            runner.logger.info(
                f'{type(self).__name__}: re-validating the epoch-{epoch} '
                f'checkpoint, whose validation (and lambda update) came '
                f'after it was saved.')
            runner.val_loop.run()

    def before_train_epoch(self, runner) -> None:
        """Validate the stage-one model once before the first epoch (the
        reference of the first update), after every ``before_train`` hook
        (statistics, teacher, a re-initialised head) has run."""
        if self.reference != 'start' or runner.epoch != 0:
            return
        head = self._head(runner)
        if int(head.confidence_epoch) >= 0:
            return  # done
        runner.logger.info(
            f'{type(self).__name__}: validating the model before the first '
            f'epoch; its per-class accuracy is the reference of the first '
            f'lambda update.')
        runner.val_loop.run()

    @staticmethod
    def _head(runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return model.head

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Update λ from the validation's per-class recall."""
        head = self._head(runner)
        recall = [None]
        if get_rank() == 0:
            tables = [
                m.last_per_class for m in runner.val_evaluator.metrics
                if getattr(m, 'last_per_class', None) is not None
            ]
            if tables:
                recall = [[
                    math.nan if r is None else float(r)
                    for r in tables[0]['recall']
                ]]
        broadcast_object_list(recall, src=0)
        if recall[0] is None:
            raise RuntimeError(
                f'{type(self).__name__} needs per-class validation accuracy: '
                f'use LongTailMetric as (first per-class) val_evaluator.')
        accuracy = torch.tensor(recall[0], dtype=torch.float64) / 100.0
        if accuracy.numel() != head.confidence.numel():
            raise ValueError(f'{type(self).__name__}: the metric reports '
                             f'{accuracy.numel()} classes, the head has '
                             f'{head.confidence.numel()}.')
        # In the stored precision: an unchanged accuracy must compare equal
        # to its float32 record (0.1 in float64 is not 0.1 in float32).
        accuracy = accuracy.to(head.prev_class_acc)
        tail = head.tail_mask()
        head.set_confidence(
            update_confidence(head.confidence.double(), accuracy,
                              head.prev_class_acc.double(), self.step, tail))
        head.prev_class_acc.copy_(accuracy.to(head.prev_class_acc))
        epoch = getattr(runner, 'epoch', None)
        if isinstance(epoch, int):
            head.confidence_epoch.fill_(epoch)
        if bool(tail.any()):
            values = head.confidence[tail]
            for name, value in (('mean', values.mean()), ('min', values.min()),
                                ('max', values.max())):
                runner.message_hub.update_scalar(f'afg/confidence_{name}',
                                                 float(value))
        if head.confidence.numel() <= 100:
            runner.logger.info(
                f'{type(self).__name__}: lambda per class = '
                f'{[round(v, 3) for v in head.confidence.tolist()]}')
