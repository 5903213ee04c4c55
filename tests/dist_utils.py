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
    # Every rank has joined before any returns: a rank leaving early could
    # close its connections while the others still set up theirs.
    dist.barrier()
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


def train_linear(loss_module, feats, labels, lr=0.5, seed=0):
    """Train a linear classifier with SGD, one step per batch.

    Under an initialised process group, rank ``r`` takes the ``r``-th
    contiguous shard of every global batch and the model is wrapped in
    ``DistributedDataParallel`` (gradients averaged over ranks, as in
    mmengine's training); without one, the whole batch is used. The 2-rank
    and the 1-rank run thus see the same global batches.

    Args:
        loss_module (torch.nn.Module): Called as ``loss(logits, labels)``.
        feats (torch.Tensor): Global batches of features ``(T, N, D)``.
        labels (torch.Tensor): Their labels ``(T, N)``.
        lr (float): SGD learning rate. Defaults to 0.5.
        seed (int): Seed of the initial weights. Defaults to 0.

    Returns:
        dict: ``weight`` and ``bias`` after the ``T`` steps, and ``losses``,
        this rank's loss at every step.
    """
    rank, world_size = 0, 1
    if dist.is_initialized():
        rank, world_size = dist.get_rank(), dist.get_world_size()
    steps, num, dim = feats.shape
    assert num % world_size == 0, 'the batch must split evenly'
    shard = slice(rank * num // world_size, (rank + 1) * num // world_size)
    num_classes = int(labels.max()) + 1
    torch.manual_seed(seed)
    model = torch.nn.Linear(dim, num_classes).to(feats.dtype)
    net = model
    if world_size > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, broadcast_buffers=False)
    optim = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        loss = loss_module(net(feats[step, shard]), labels[step, shard])
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    return dict(
        weight=model.weight.detach().clone(),
        bias=model.bias.detach().clone(),
        losses=losses)
