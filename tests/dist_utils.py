# Copyright (c) mmlt contributors. All rights reserved.
"""Run a function in several CPU processes joined by a gloo process group.

Used by the 2-rank vs 1-rank equivalence tests: ``fn(rank, world_size,
*args)`` runs in every process after ``torch.distributed`` is initialised,
and the list of the ranks' return values (anything ``torch.save`` can store)
comes back to the test. A failing rank raises in the test with its
traceback (``torch.multiprocessing.spawn`` joins all ranks).

``fn`` must be importable by the child processes: define it at module level
in the test file.
"""
import os
import os.path as osp
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _worker(rank, world_size, init_file, fn, args, out_dir):
    # One thread a rank: CI has two cores.
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'file://{init_file}',
        rank=rank,
        world_size=world_size)
    try:
        result = fn(rank, world_size, *args)
        torch.save(result, osp.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


def run_distributed(fn, world_size=2, *args):
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` gloo ranks.

    Args:
        fn (callable): A module-level function.
        world_size (int): The number of processes. Defaults to 2.
        *args: Extra picklable arguments for ``fn``.

    Returns:
        list: The return value of every rank, in rank order.
    """
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(
            _worker,
            args=(world_size, osp.join(tmp, 'init'), fn, args, tmp),
            nprocs=world_size,
            join=True)
        return [
            torch.load(osp.join(tmp, f'rank{r}.pt'), weights_only=False)
            for r in range(world_size)
        ]
