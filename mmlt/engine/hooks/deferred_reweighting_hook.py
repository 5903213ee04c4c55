# Copyright (c) mmlt contributors. All rights reserved.
from typing import Iterator, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch import nn

from mmlt.models.losses import deferred_reweighting_weights


@HOOKS.register_module()
class DeferredReweightingHook(Hook):
    r"""Deferred re-weighting (DRW) of the re-weightable losses.

    `Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss
    <https://arxiv.org/abs/1906.07413>`_ (Cao et al., NeurIPS 2019) trains
    unweighted first and switches to class-balanced weights late, when the
    learning rate drops. Before every training epoch this hook sets, on
    every module of the (unwrapped) model with ``set_class_weight`` and
    ``get_class_counts`` (:class:`~mmlt.models.losses.LDAMLoss`,
    :class:`~mmlt.models.losses.ReweightedCrossEntropyLoss`), the weights
    :func:`~mmlt.models.losses.deferred_reweighting_weights` of its counts:
    uniform for ``runner.epoch < drw_epoch`` (0-based), then the
    effective-number weights :math:`(1 - \beta) / (1 - \beta^{n_c})`
    normalised to sum to ``C``.

    The weights follow from ``runner.epoch`` alone and are set again at
    every epoch, so a resumed run gets the right ones without any state in
    the checkpoint (the losses keep them in non-persistent buffers). The
    counts come from each loss (``ClassCountsHook`` sets them before
    training, from the checkpoint on resume).

    Args:
        drw_epoch (int): The first re-weighted epoch, counted from 0 like
            ``runner.epoch``; 160 re-weights the last 40 epochs of the
            200-epoch CIFAR-LT recipe, as in the LDAM-DRW reference.
            Defaults to 160.
        beta (float): :math:`\beta \in [0, 1)` of the effective number.
            Defaults to 0.9999.
        priority (str): Hook priority. ``'LOW'`` runs after the ``'NORMAL'``
            hooks of the same stage, so a loss that
            :class:`DecoupledStageHook` swaps in at an epoch start is
            weighted too. Defaults to ``'LOW'``.
    """

    def __init__(self,
                 drw_epoch: int = 160,
                 beta: float = 0.9999,
                 priority: str = 'LOW') -> None:
        name = type(self).__name__
        if not (isinstance(drw_epoch, int) and drw_epoch >= 0):
            raise ValueError(f'{name}: `drw_epoch` must be an int >= 0, got '
                             f'{drw_epoch!r}.')
        if not 0 <= beta < 1:
            raise ValueError(f'{name}: `beta` must lie in [0, 1), got '
                             f'{beta!r}.')
        self.drw_epoch = drw_epoch
        self.beta = beta
        self.priority = priority
        # Whether the last epoch of this process was re-weighted (None: no
        # epoch yet); only changes are logged.
        self._reweighted: Optional[bool] = None

    def before_train(self, runner) -> None:
        """Fail at start when the model has nothing to re-weight."""
        if not list(_reweightable(runner.model)):
            raise RuntimeError(
                f'{type(self).__name__}: the model has no loss with '
                f'`set_class_weight` and `get_class_counts`, so deferred '
                f're-weighting would change nothing; use LDAMLoss or '
                f'ReweightedCrossEntropyLoss as the head\'s loss.')
        if self.drw_epoch >= runner.max_epochs:
            runner.logger.warning(
                f'{type(self).__name__}: drw_epoch={self.drw_epoch} >= '
                f'max_epochs={runner.max_epochs}; the run never re-weights.')

    def before_train_epoch(self, runner) -> None:
        """Set this epoch's weights on every re-weightable loss."""
        reweighted = runner.epoch >= self.drw_epoch
        names, weights = [], None
        for name, module in _reweightable(runner.model):
            weights = deferred_reweighting_weights(module.get_class_counts(),
                                                   runner.epoch,
                                                   self.drw_epoch, self.beta)
            module.set_class_weight(weights)
            names.append(name)
        if reweighted != self._reweighted and names:
            if reweighted:
                state = (f'effective-number weights (beta={self.beta}) '
                         f'{[round(w, 4) for w in weights.tolist()]}')
            else:
                state = f'uniform weights until epoch {self.drw_epoch}'
            runner.logger.info(f'{type(self).__name__} at epoch '
                               f'{runner.epoch}: {state} on '
                               f'{", ".join(names)}.')
        self._reweighted = reweighted


def _reweightable(model: nn.Module) -> Iterator[Tuple[str, nn.Module]]:
    """Yield ``(name, module)`` for every loss whose class weights DRW can
    set."""
    model = model.module if is_model_wrapper(model) else model
    for name, module in model.named_modules():
        if hasattr(module, 'set_class_weight') and hasattr(
                module, 'get_class_counts'):
            yield f'model.{name}' if name else 'model', module
