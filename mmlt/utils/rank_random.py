# Copyright (c) mmlt contributors. All rights reserved.
"""Per-rank random streams that resume exactly.

mmengine seeds every rank with the same seed (``diff_rank_seed=False``), which
the samplers need: they shuffle one global order and split it. Random draws
that should differ per rank (generated features, random drop masks) would
then be identical on every rank, so ``N`` GPUs draw ``1 / N`` of the intended
distinct samples. :func:`rank_generator` gives such a draw its own stream,
seeded from the run's base seed, the rank and a step counter: no generator
state has to be saved (checkpoints are written by rank 0 alone), and a
resumed run that restores the counter draws exactly what it would have drawn.
"""
from typing import Optional, Union

import torch
import torch.distributed as dist

# Odd 64-bit constants (splitmix64's) spread (seed, rank, step) over the seed
# space, so neighbouring steps or ranks never share a stream.
_MIX_RANK = 0x9E3779B97F4A7C15
_MIX_STEP = 0xBF58476D1CE4E5B9
_MASK = (1 << 63) - 1


def current_rank() -> int:
    """The global rank, 0 outside distributed training."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def rank_seed(base_seed: int, rank: int, step: int) -> int:
    """The seed of ``rank``'s stream at ``step``, a pure function.

    Args:
        base_seed (int): The run's seed (the same on every rank).
        rank (int): The global rank.
        step (int): How many draws the caller made before this one.

    Returns:
        int: A non-negative 63-bit seed.
    """
    mixed = (
        int(base_seed) + (int(rank) + 1) * _MIX_RANK +
        (int(step) + 1) * _MIX_STEP)
    return mixed & _MASK


def rank_generator(base_seed: int,
                   step: int,
                   device: Union[str, torch.device] = 'cpu',
                   rank: Optional[int] = None) -> torch.Generator:
    """A generator on ``device`` for this rank's draw number ``step``.

    Args:
        base_seed (int): The run's seed; modules record
            ``torch.initial_seed()`` when they are built (mmengine seeds
            before building the model) and keep it in their state dict.
        step (int): The caller's draw counter (also in its state dict).
        device (str | torch.device): Where the draws are made. Defaults to
            ``'cpu'``.
        rank (int, optional): Defaults to None (the current global rank).

    Returns:
        torch.Generator: A freshly seeded generator.
    """
    if rank is None:
        rank = current_rank()
    generator = torch.Generator(device=device)
    generator.manual_seed(rank_seed(base_seed, rank, step))
    return generator
