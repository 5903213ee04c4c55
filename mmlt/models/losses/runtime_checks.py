# Copyright (c) mmlt contributors. All rights reserved.
"""Per-step checks of the losses that stay off the hot path.

A per-step check (labels in range, a finite loss) is a question about device
data; answering it with ``bool(...)``/``int(...)`` makes the host wait for
the GPU at every step, and raising it on the one rank that saw the bad value
leaves the other ranks waiting in their next collective (the loss's own
``all_reduce``, or DDP's gradient reduction) until the NCCL timeout.

:func:`check_on_all_ranks` answers both:

- **Agreement.** Under ``torch.distributed`` the ranks exchange their flags
  (one ``all_gather`` of a few integers) before anyone raises, so every rank
  raises the same error, naming the ranks that saw the bad value. Every rank
  must therefore make the same checks in the same order, which holds for
  losses (each rank calls them once per step).
- **Deferral.** CPU tensors are read at once (a CPU read does not wait for
  anything). On an accelerator the flags are accumulated on the device (an
  ``|`` per check, no host read) and read, agreed on and reset every
  ``interval`` checks (:func:`set_check_interval`; default
  :data:`DEFAULT_CHECK_INTERVAL`): one host read per ``interval`` checks,
  and an error at most ``interval`` checks late, still naming the check.
- **Mixed precision.** :func:`non_finite_is_handled` is True under autocast:
  mmengine's ``AmpOptimWrapper`` runs the forward under autocast and steps
  through a ``GradScaler``, which skips a step whose gradients are not
  finite and lowers its scale, so a non-finite loss is expected there and
  is left to it rather than raised.

Tensors without data (the ``meta`` device, ``FakeTensor``) are not checked.
"""
from typing import Dict, Optional

import torch
import torch.distributed as dist

from mmlt.utils.precision import autocast_enabled

#: Checks per host read on an accelerator (CPU tensors: every check).
DEFAULT_CHECK_INTERVAL = 50

_INTERVALS: Dict[str, int] = {'cpu': 1}


def set_check_interval(interval: int,
                       device_type: Optional[str] = None) -> None:
    """Set how many checks are batched into one host read.

    Args:
        interval (int): Checks per host read; 1 reads every check (the
            first bad step raises, at the cost of a device sync per check).
        device_type (str, optional): ``'cuda'``, ``'cpu'``, ...
            Defaults to None (every accelerator, i.e. all but the CPU).
    """
    if isinstance(interval,
                  bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f'set_check_interval: `interval` must be a positive '
                         f'integer, got {interval!r}.')
    global DEFAULT_CHECK_INTERVAL
    if device_type is None:
        DEFAULT_CHECK_INTERVAL = interval
    else:
        _INTERVALS[device_type] = interval


def check_interval(device: torch.device) -> int:
    """The number of checks per host read on ``device``."""
    return _INTERVALS.get(device.type, DEFAULT_CHECK_INTERVAL)


def has_data(tensor: torch.Tensor) -> bool:
    """False for tensors whose values cannot be read (meta, fake)."""
    if tensor.device.type == 'meta':
        return False
    from torch._subclasses.fake_tensor import is_fake
    return not is_fake(tensor)


def non_finite_is_handled(tensor: torch.Tensor) -> bool:
    """Whether a non-finite value in ``tensor`` is left to the grad scaler.

    True under autocast on the tensor's device: mixed-precision training
    (mmengine's ``AmpOptimWrapper``) skips the optimizer steps with
    non-finite gradients instead of failing.
    """
    return autocast_enabled(tensor.device.type)


def _distributed() -> bool:
    return (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1)


class _PendingChecks:
    """The accumulated flags of the deferred checks, one per message."""

    def __init__(self) -> None:
        self.flags: Dict[str, torch.Tensor] = {}
        self.count = 0

    def add(self, message: str, bad: torch.Tensor) -> bool:
        """Record a flag; True when it is time to read them."""
        old = self.flags.get(message)
        self.flags[message] = bad if old is None else old | bad
        self.count += 1
        return self.count % check_interval(bad.device) == 0

    def take(self) -> Dict[str, torch.Tensor]:
        flags, self.flags = self.flags, {}
        return flags


_PENDING = _PendingChecks()


def reset_pending_checks() -> None:
    """Forget the flags not read yet (e.g. between tests)."""
    _PENDING.flags.clear()
    _PENDING.count = 0


def _raise_agreed(flags: Dict[str, torch.Tensor]) -> None:
    """Read ``message -> bad`` flags, agree across ranks, raise the first."""
    if not flags:
        return
    messages = list(flags)
    local = torch.stack([flags[m].reshape(()) for m in messages]).int()
    if _distributed():
        if dist.get_backend() == 'gloo':
            local = local.cpu()  # gloo gathers CPU tensors only
        gathered = [
            torch.empty_like(local) for _ in range(dist.get_world_size())
        ]
        dist.all_gather(gathered, local)
        per_rank = torch.stack(gathered).tolist()
    else:
        per_rank = [local.tolist()]
    for index, message in enumerate(messages):
        ranks = [r for r, row in enumerate(per_rank) if row[index]]
        if ranks:
            where = (f' (on rank{"s" if len(ranks) > 1 else ""} '
                     f'{", ".join(map(str, ranks))} of {len(per_rank)})'
                     if len(per_rank) > 1 else '')
            raise ValueError(message + where)


def check_on_all_ranks(bad: torch.Tensor, message: str) -> None:
    """Raise ``ValueError(message)`` on every rank if ``bad`` on any rank.

    Args:
        bad (torch.Tensor): A boolean scalar on the device of the data,
            True if the check failed.
        message (str): The error. Checks with the same message share one
            flag while deferred.
    """
    if not has_data(bad):
        return
    if check_interval(bad.device) <= 1:
        _raise_agreed({message: bad})
    elif _PENDING.add(message, bad):
        flush_checks()


def flush_checks() -> None:
    """Read the deferred checks now (every rank must call it)."""
    flags = _PENDING.take()
    _PENDING.count = 0
    _raise_agreed(flags)
