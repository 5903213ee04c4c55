# Copyright (c) mmlt contributors. All rights reserved.
from mmengine.model import BaseModule
from torch import nn


def reinit_module(module: nn.Module) -> nn.Module:
    """Initialise a module's parameters again, as if freshly built.

    mmengine's ``BaseModule.init_weights`` runs once per module (later calls
    only warn), so re-initialising a trained head (classifier re-training)
    needs more than calling it. Every sub-module with ``reset_parameters``
    (``nn.Linear``, ``nn.Conv2d``, norms) is reset to PyTorch's default
    initialisation first; then, for an mmengine ``BaseModule``, the
    ``init_weights`` of the module and its sub-modules runs again, so the
    module's ``init_cfg`` (e.g. ``LinearClsHead``'s ``Normal(std=0.01)``)
    and overridden ``init_weights`` methods apply as at the start of a run.

    Args:
        module (nn.Module): The module to re-initialise, in place.

    Returns:
        nn.Module: The same module.
    """
    for sub_module in module.modules():
        reset = getattr(sub_module, 'reset_parameters', None)
        if callable(reset):
            reset()
    if isinstance(module, BaseModule):
        for sub_module in module.modules():
            if isinstance(sub_module, BaseModule):
                sub_module.is_init = False
        module.init_weights()
    return module
