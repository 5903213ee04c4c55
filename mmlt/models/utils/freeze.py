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
bit-identical, and dropout is off: the frozen part is a fixed feature
extractor, as in classifier re-training.

The override is an instance attribute, so it survives ``deepcopy`` but not
re-building the module (e.g. ``convert_sync_batchnorm`` creates new BN
modules): freeze again after such a conversion, :func:`freeze_module` is
idempotent. Freezing after a model was wrapped in
``DistributedDataParallel`` also needs a re-wrap, because DDP expects a
gradient for every parameter that required one when it was wrapped; see
:class:`~mmlt.engine.hooks.DecoupledStageHook`.
"""
import types

from torch import nn

#: Marks a module frozen by :func:`freeze_module`.
FROZEN_FLAG = '_mmlt_frozen'


def _train_frozen(self: nn.Module, mode: bool = True) -> nn.Module:
    # Whatever mode is asked for: the class's own ``train`` in eval mode,
    # so sub-classes that override ``train`` (e.g. ``norm_eval``) still run.
    return type(self).train(self, False)


def freeze_module(module: nn.Module) -> nn.Module:
    """Freeze ``module``: its parameters and its train/eval mode.

    Every parameter gets ``requires_grad=False`` (and its stale gradient is
    dropped, so no optimizer steps it, weight decay included), and the
    module with all its sub-modules is put in eval mode for good:
    later ``.train()`` calls on it, its parents or its children keep it in
    eval mode, so BatchNorm layers (all ``_BatchNorm``, SyncBN included)
    normalise with their running statistics and never update them.

    Args:
        module (nn.Module): The module to freeze, in place.

    Returns:
        nn.Module: The same module.
    """
    for param in module.parameters():
        param.requires_grad_(False)
        param.grad = None
    for sub_module in module.modules():
        sub_module.train = types.MethodType(_train_frozen, sub_module)
        setattr(sub_module, FROZEN_FLAG, True)
    module.eval()
    return module


def is_frozen(module: nn.Module) -> bool:
    """Whether :func:`freeze_module` froze ``module`` and it still is frozen.

    Args:
        module (nn.Module): The module to check.

    Returns:
        bool: True if every sub-module is marked frozen and in eval mode and
        no parameter requires a gradient.
    """
    return (all(
        getattr(m, FROZEN_FLAG, False) and not m.training
        for m in module.modules())
            and not any(p.requires_grad for p in module.parameters()))
