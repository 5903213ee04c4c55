# Copyright (c) mmlt contributors. All rights reserved.
"""Freeze a sub-module for good: no gradients and eval mode that lasts.

``requires_grad=False`` alone keeps the weights fixed but not the
BatchNorm running statistics, which every forward in train mode updates; and
``module.eval()`` alone is undone by the next ``model.train()``, which
mmengine's loop calls at the start of every epoch (after the
``before_train_epoch`` hooks). :func:`freeze_module` therefore replaces the
``train`` method of the module and of every sub-module by one that always
switches to eval mode: ``model.train()`` (also through a DDP wrapper, whose
``train`` recurses into its children) leaves the frozen part in eval mode,
so its weights, BN running statistics and ``num_batches_tracked`` stay
bit-identical (unless BN statistics are left to update, see below), and
dropout is off: the frozen part is a fixed feature
extractor, as in classifier re-training.

The override is an instance attribute, so it survives ``deepcopy`` but not
re-building the module (e.g. ``convert_sync_batchnorm`` creates new BN
modules): freeze again after such a conversion, :func:`freeze_module` is
idempotent. Freezing after a model was wrapped in
``DistributedDataParallel`` also needs a re-wrap, because DDP expects a
gradient for every parameter that required one when it was wrapped; see
:class:`~mmlt.engine.hooks.DecoupledStageHook`.

**BN statistics.** With ``bn_statistics='update'`` the BatchNorm layers are
the exception: their parameters are frozen like the rest, but they keep
following ``train()``/``eval()``, so in train mode they normalise with the
batch statistics and re-estimate their running mean and variance on the
data seen. This is the "shift learning on BN" of MiSLAS (Zhong et al., CVPR
2021): in the classifier stage the representation is fixed, but the BN
statistics move to the class-balanced data of that stage.
"""
import types

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..losses.utils import check_choice

#: Marks a module frozen by :func:`freeze_module`; the value is the
#: ``bn_statistics`` it was frozen with.
FROZEN_FLAG = '_mmlt_frozen'

#: The values of ``bn_statistics``.
BN_STATISTICS = ('frozen', 'update')


def _train_frozen(self: nn.Module, mode: bool = True) -> nn.Module:
    # Whatever mode is asked for: the class's own ``train`` in eval mode,
    # so sub-classes that override ``train`` (e.g. ``norm_eval``) still run.
    return type(self).train(self, False)


def _train_frozen_pass_mode(self: nn.Module, mode: bool = True) -> nn.Module:
    # The class's own ``train`` with the asked-for mode, so that it reaches
    # the BN layers left to update; every other sub-module has an override
    # and turns itself back to eval, as this module does.
    type(self).train(self, mode)
    self.training = False
    return self


def _updates_bn(module: nn.Module) -> bool:
    return (isinstance(module, _BatchNorm)
            and getattr(module, FROZEN_FLAG, None) == 'update')


def freeze_module(module: nn.Module,
                  bn_statistics: str = 'frozen') -> nn.Module:
    """Freeze ``module``: its parameters and its train/eval mode.

    Every parameter gets ``requires_grad=False`` (and its stale gradient is
    dropped, so no optimizer steps it, weight decay included), and the
    module with all its sub-modules is put in eval mode for good:
    later ``.train()`` calls on it, its parents or its children keep it in
    eval mode. With ``bn_statistics='frozen'`` that includes the BatchNorm
    layers (all ``_BatchNorm``, SyncBN included), which normalise with their
    running statistics and never update them. With ``'update'`` the BN
    layers still follow ``train()``/``eval()``: in train mode they use and
    update the batch statistics, while their affine weight and bias stay
    fixed (MiSLAS's shifted BN). A ``norm_eval`` of the module's own
    ``train`` still applies.

    Freezing again is allowed, also with the other ``bn_statistics``.

    Args:
        module (nn.Module): The module to freeze, in place.
        bn_statistics (str): ``'frozen'`` keeps the BN running mean and
            variance fixed; ``'update'`` lets BN layers in train mode
            re-estimate them. Defaults to ``'frozen'``.

    Returns:
        nn.Module: The same module.
    """
    check_choice('freeze_module', 'bn_statistics', bn_statistics,
                 BN_STATISTICS)
    override = (
        _train_frozen
        if bn_statistics == 'frozen' else _train_frozen_pass_mode)
    for param in module.parameters():
        param.requires_grad_(False)
        param.grad = None
    for sub_module in module.modules():
        setattr(sub_module, FROZEN_FLAG, bn_statistics)
        if _updates_bn(sub_module):
            # Back to the class's ``train``, if frozen before with 'frozen'.
            sub_module.__dict__.pop('train', None)
        else:
            sub_module.train = types.MethodType(override, sub_module)
    module.eval()
    return module


def is_frozen(module: nn.Module) -> bool:
    """Whether :func:`freeze_module` froze ``module`` and it still is frozen.

    Args:
        module (nn.Module): The module to check.

    Returns:
        bool: True if every sub-module is marked frozen and in eval mode
        (BN layers frozen with ``bn_statistics='update'`` may be in either
        mode) and no parameter requires a gradient.
    """
    return (all(
        getattr(m, FROZEN_FLAG, False) and (_updates_bn(m) or not m.training)
        for m in module.modules())
            and not any(p.requires_grad for p in module.parameters()))
