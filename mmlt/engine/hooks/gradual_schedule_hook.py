# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch import nn

from mmlt.models.losses.utils import check_number
from mmlt.models.utils.gradual_schedule import (check_schedule_args,
                                                gradual_schedule)


@HOOKS.register_module()
class GradualScheduleHook(Hook):
    r"""Raise a module attribute from 0 to its final value during training.

    GLAG (`Zhang & Xiang, 2022 <https://arxiv.org/abs/2203.00452>`_) raises
    the strength :math:`\tau` of its Gradual Balanced Loss (stage one) and
    the weight of its distillation loss (stage two) smoothly from zero:

    .. math:: v(t) = v_{final} \cdot s\big(\mathrm{progress}(t)\big),

    with :math:`s` the :func:`~mmlt.models.utils.gradual_schedule`
    (``form`` ``'convex'``, ``'linear'`` or ``'concave'``, bent by
    ``power``) and

    .. math:: \mathrm{progress}(t) = \mathrm{clip}\Big(
              \frac{t - \mathrm{begin}}{\mathrm{end} - 1 - \mathrm{begin}},
              0, 1\Big),

    ``t`` the 0-based epoch (``by_epoch=True``, set before every training
    epoch) or iteration (``by_epoch=False``, set before every training
    iteration). The first scheduled epoch/iteration uses 0 and the last
    (``end - 1``) the final value, so even a short run trains its last epoch
    at :math:`v_{final}`.

    **Targets.** Each entry of ``targets`` is a class name (every module of
    the unwrapped model whose class, or a base class, has that name, e.g.
    ``'GradualBalancedLoss'``) or, when no class matches, a dotted attribute
    path from the model (e.g. ``'head.loss_module'``). The hook sets
    ``attr`` on each target: through its ``set_<attr>`` method if it has
    one, in place if the attribute is a tensor (a buffer stays a buffer, on
    its device, in the state dict), else as a float. The final value is
    ``final`` or, if that is None, the target's ``<attr>_final`` attribute
    (``GradualBalancedLoss.tau_final``). Targets are looked up at every
    update, so a loss swapped in by
    :class:`~mmlt.engine.hooks.DecoupledStageHook` (which runs first, at
    ``'NORMAL'`` priority) is found; none found is an error.

    **Logging and resume.** The value is logged as the scalar
    ``train/<log_name>`` at every training iteration (in the log lines,
    ``vis_data/scalars.json`` and TensorBoard). It follows from
    ``runner.epoch``/``runner.iter`` alone, so a resumed run continues with
    exactly the value an uninterrupted one would have; the hook keeps no
    state.

    Args:
        targets (str | Sequence[str]): Class names or attribute paths of the
            modules to schedule. Defaults to ``'GradualBalancedLoss'``.
        attr (str): The attribute to set. Defaults to ``'tau'``.
        final (float, optional): The final value. Defaults to None (each
            target's ``<attr>_final``).
        form (str): ``'convex'``, ``'linear'`` or ``'concave'``. Defaults to
            ``'convex'`` (the paper's best).
        power (float): The power (>= 1) of the curved forms. Defaults to 2.0.
        by_epoch (bool): Update per epoch (True) or per iteration (False).
            Defaults to True.
        begin (int): The epoch/iteration where the rise starts (value 0
            before). Defaults to 0.
        end (int, optional): One past the epoch/iteration where the final
            value is reached. Defaults to None (``max_epochs`` or
            ``max_iters``).
        log_name (str, optional): The logged scalar is
            ``'train/' + log_name``. Defaults to None (``attr``).
        priority (str): Hook priority. ``'LOW'`` runs after the ``'NORMAL'``
            hooks of the same stage (e.g. a loss swap). Defaults to
            ``'LOW'``.
    """

    def __init__(self,
                 targets: Union[str, Sequence[str]] = 'GradualBalancedLoss',
                 attr: str = 'tau',
                 final: Optional[float] = None,
                 form: str = 'convex',
                 power: float = 2.0,
                 by_epoch: bool = True,
                 begin: int = 0,
                 end: Optional[int] = None,
                 log_name: Optional[str] = None,
                 priority: str = 'LOW') -> None:
        name = type(self).__name__
        if isinstance(targets, str):
            targets = (targets, )
        if (not isinstance(targets, (list, tuple)) or not targets
                or not all(isinstance(t, str) and t for t in targets)):
            raise ValueError(f'{name}: `targets` must be a class name or '
                             f'attribute path, or a non-empty list of them, '
                             f'got {targets!r}.')
        if not (isinstance(attr, str) and attr.isidentifier()):
            raise ValueError(f'{name}: `attr` must be an attribute name, got '
                             f'{attr!r}.')
        self.power = check_schedule_args(name, form, power)
        for arg, value in (('begin', begin), ('end', end)):
            if value is not None and not (isinstance(value, int)
                                          and not isinstance(value, bool)
                                          and value >= 0):
                raise ValueError(f'{name}: `{arg}` must be an int >= 0, got '
                                 f'{value!r}.')
        if end is not None and end <= begin:
            raise ValueError(f'{name}: `end` ({end}) must be larger than '
                             f'`begin` ({begin}).')
        self.targets = tuple(targets)
        self.attr = attr
        self.final = None if final is None else check_number(
            name, 'final', final)
        self.form = form
        self.by_epoch = bool(by_epoch)
        self.begin = begin
        self.end = end
        self.log_name = log_name or attr
        self.priority = priority
        self._last: Optional[Tuple[int, float]] = None

    # -- the schedule ------------------------------------------------------

    def progress(self, t: int, total: int) -> float:
        """The schedule's progress in ``[0, 1]`` at step ``t``.

        Args:
            t (int): The 0-based epoch or iteration.
            total (int): ``max_epochs`` or ``max_iters`` of the run, used
                when ``end`` is None.

        Returns:
            float: ``clip((t - begin) / (end - 1 - begin), 0, 1)``.
        """
        end = total if self.end is None else self.end
        span = end - 1 - self.begin
        if span <= 0:  # a one-step schedule: final from its step on
            return 1.0 if t >= self.begin else 0.0
        return min(max((t - self.begin) / span, 0.0), 1.0)

    def value(self, final: float, t: int, total: int) -> float:
        """The scheduled value at step ``t``: ``final * s(progress)``."""
        return final * gradual_schedule(
            self.progress(t, total), self.form, self.power)

    # -- targets -----------------------------------------------------------

    def find_targets(self, model: nn.Module) -> List[Tuple[str, object]]:
        """The ``(name, module)`` pairs to schedule.

        Args:
            model (nn.Module): The (possibly wrapped) model.

        Returns:
            list[tuple[str, object]]: One entry per target found.
        """
        model = model.module if is_model_wrapper(model) else model
        found, seen = [], set()
        for target in self.targets:
            matches = [(f'model.{n}' if n else 'model', m)
                       for n, m in model.named_modules()
                       if target in (c.__name__ for c in type(m).__mro__)]
            if not matches:
                obj = _get_path(model, target)
                matches = [] if obj is None else [(f'model.{target}', obj)]
            if not matches:
                losses = sorted({
                    type(m).__name__
                    for n, m in model.named_modules() if 'loss' in n.lower()
                })
                raise RuntimeError(
                    f'{type(self).__name__}: found no module of type '
                    f'{target!r} and no attribute path {target!r} in the '
                    f'model (its loss modules: {losses or "none"}); set '
                    f'`targets` to the class name or dotted path (e.g. '
                    f'\'head.loss_module\') of what to schedule.')
            for name, obj in matches:
                if id(obj) not in seen:
                    seen.add(id(obj))
                    found.append((name, obj))
        return found

    def _final(self, name: str, obj) -> float:
        if self.final is not None:
            return self.final
        key = f'{self.attr}_final'
        if not hasattr(obj, key):
            raise RuntimeError(
                f'{type(self).__name__}: {name} ({type(obj).__name__}) has '
                f'no `{key}`; give the hook `final=`.')
        return float(getattr(obj, key))

    def _set(self, name: str, obj, value: float) -> None:
        setter = getattr(obj, f'set_{self.attr}', None)
        if callable(setter):
            setter(value)
            return
        if not hasattr(obj, self.attr):
            raise RuntimeError(
                f'{type(self).__name__}: {name} ({type(obj).__name__}) has '
                f'no attribute `{self.attr}` to schedule; check `attr`.')
        current = getattr(obj, self.attr)
        if isinstance(current, torch.Tensor):
            with torch.no_grad():
                current.fill_(value)
        else:
            setattr(obj, self.attr, value)

    # -- hook stages -------------------------------------------------------

    def _step(self, runner) -> Tuple[int, int]:
        if self.by_epoch:
            return runner.epoch, runner.max_epochs
        return runner.iter, runner.max_iters

    def _update(self, runner) -> float:
        t, total = self._step(runner)
        value = None
        names = []
        for name, obj in self.find_targets(runner.model):
            value = self.value(self._final(name, obj), t, total)
            self._set(name, obj, value)
            names.append(name)
        if self.by_epoch and (self._last is None or self._last[0] != t):
            runner.logger.info(
                f'{type(self).__name__}: {self.attr}={value:.6g} at epoch '
                f'{t} on {", ".join(names)}.')
        self._last = (t, value)
        return value

    def before_train(self, runner) -> None:
        """Set the value of the (possibly resumed) start and warn when the
        schedule never moves."""
        self._last = None
        _, total = self._step(runner)
        end = total if self.end is None else self.end
        if self.begin >= total or end > total:
            unit = 'epochs' if self.by_epoch else 'iterations'
            runner.logger.warning(
                f'{type(self).__name__}: the schedule [{self.begin}, {end}) '
                f'does not fit the run\'s {total} {unit}; the final value '
                f'is not reached.')
        self._update(runner)

    def before_train_epoch(self, runner) -> None:
        """Set this epoch's value (``by_epoch=True``)."""
        if self.by_epoch:
            self._update(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch=None) -> None:
        """Set this iteration's value (``by_epoch=False``) and log it."""
        if self.by_epoch and self._last is not None:
            value = self._last[1]
        else:
            value = self._update(runner)
        runner.message_hub.update_scalar(f'train/{self.log_name}', value)


def _get_path(root, path: str):
    """``root.a.b.c`` for ``path='a.b.c'``, or None if a step is missing."""
    obj = root
    for part in path.split('.'):
        if not hasattr(obj, part):
            return None
        obj = getattr(obj, part)
    return obj
