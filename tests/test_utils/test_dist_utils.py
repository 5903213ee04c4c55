# Copyright (c) mmlt contributors. All rights reserved.
"""The gloo test harness itself: results come back, a failing rank fails."""
import pytest
import torch
import torch.distributed as dist
from dist_utils import run_distributed


def _sum_ranks(rank, world_size, base):
    t = torch.tensor([float(rank + base)])
    dist.all_reduce(t)
    return dict(rank=rank, world_size=world_size, total=t.item())


def _fail_on_rank_one(rank, world_size):
    if rank == 1:
        raise ValueError('rank one fails on purpose')
    return rank


def test_run_distributed_returns_every_rank():
    out = run_distributed(_sum_ranks, 2, 10)
    assert [o['rank'] for o in out] == [0, 1]
    assert all(o['world_size'] == 2 for o in out)
    # 10 + 11 on both ranks.
    assert all(o['total'] == 21.0 for o in out)


def test_run_distributed_failing_rank_raises():
    with pytest.raises(Exception, match='rank one fails on purpose'):
        run_distributed(_fail_on_rank_one, 2)


def test_shutdown_distributed(tmp_path):
    from mmlt.utils import shutdown_distributed
    shutdown_distributed()  # not initialised: nothing to do
    dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp_path / "init"}',
        rank=0,
        world_size=1)
    try:
        shutdown_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
