# Copyright (c) mmlt contributors. All rights reserved.
"""Distributed set-up for machines without CUDA.

mmengine's ``pytorch`` and ``slurm`` launchers call ``torch.cuda.set_device``
and wrap the model with ``device_ids=[LOCAL_RANK]``; both fail on CPU. On a
machine without CUDA, :func:`setup_cpu_distributed` initialises the gloo
process group itself (the runner then skips its own initialisation) and has
the model wrapped with ``device_ids=None``. With CUDA nothing changes.
"""
import os
import subprocess
from datetime import timedelta

import torch
import torch.distributed as torch_dist


def slurm_env() -> dict:
    """Rank variables of a task started by ``srun``.

    Returns:
        dict: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
        ``MASTER_PORT`` as strings, in the form torch expects.
    """
    node_list = os.environ['SLURM_NODELIST']
    master = os.environ.get('MASTER_ADDR')
    if not master:
        # The first host of the allocation hosts rank 0.
        master = subprocess.check_output(
            ['scontrol', 'show', 'hostname', node_list],
            text=True).splitlines()[0]
    return dict(
        RANK=os.environ['SLURM_PROCID'],
        WORLD_SIZE=os.environ['SLURM_NTASKS'],
        LOCAL_RANK=os.environ['SLURM_LOCALID'],
        MASTER_ADDR=master,
        MASTER_PORT=os.environ.get('MASTER_PORT', '29500'))


def setup_cpu_distributed(cfg, launcher: str, timeout_s: int = 1800) -> bool:
    """Initialise gloo for a distributed run on a machine without CUDA.

    Args:
        cfg (mmengine.Config): The run's config; its ``model_wrapper_cfg``
            and ``env_cfg.dist_cfg`` are adapted in place.
        launcher (str): ``'none'``, ``'pytorch'`` or ``'slurm'``.
        timeout_s (int): Collective timeout in seconds. Defaults to 1800.

    Returns:
        bool: Whether this function initialised the process group.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return False
    if launcher == 'slurm':
        os.environ.update(slurm_env())
    elif launcher != 'pytorch':
        raise ValueError(
            f'--launcher {launcher} is not supported without CUDA; use '
            f'"pytorch" (tools/dist_train.sh) or "slurm".')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(
                f'--launcher {launcher} needs the environment variable {key}; '
                f'start the job with tools/dist_train.sh or torchrun.')
    os.environ.setdefault('LOCAL_RANK', os.environ['RANK'])
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            timeout=timedelta(seconds=timeout_s))
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = \
        'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    # CPU modules must be wrapped without device ids.
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


def shutdown_distributed() -> None:
    """Wait for every rank, then tear the process group down.

    Called at the end of ``tools/train.py`` and ``tools/test.py``. Without
    it, a rank that finishes first (rank 0 may still be writing checkpoints,
    tables or charts) exits with its gloo/NCCL context alive while a peer
    still talks to it, which can abort the process ("terminate called
    without an active exception") and fail a job that trained correctly.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
