# Copyright (c) mmlt contributors. All rights reserved.
"""Mixed-precision helpers shared by the losses and models."""
import contextlib

import torch


def autocast_enabled(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` (False for device types
    autocast does not know, such as ``meta``)."""
    try:
        return torch.is_autocast_enabled(device_type)
    except (RuntimeError, ValueError):
        return False


def autocast_off(device_type: str):
    """A context that turns autocast off on ``device_type`` if it is on.

    Args:
        device_type (str): ``tensor.device.type``.

    Returns:
        A context manager (a no-op where autocast is off or unsupported).
    """
    if autocast_enabled(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()
