# Copyright (c) mmlt contributors. All rights reserved.
"""The MoCo machinery of PaCo: momentum update, a FIFO queue of keys with
labels, and gathering across ranks (He et al., CVPR 2020).

All of it runs on the tensors' device without reading anything back to the
host: the queue pointer stays a tensor, the write positions are computed on
the device.
"""
from typing import Iterable

import torch
import torch.distributed as dist


@torch.no_grad()
def momentum_update(key_params: Iterable[torch.Tensor],
                    query_params: Iterable[torch.Tensor],
                    momentum: float) -> None:
    r"""In place :math:`\theta_k \leftarrow m\,\theta_k + (1 - m)\,\theta_q`.

    Args:
        key_params (Iterable[torch.Tensor]): The key encoder's parameters.
        query_params (Iterable[torch.Tensor]): The query encoder's, in the
            same order and shapes.
        momentum (float): :math:`m \in [0, 1]`.
    """
    key_params, query_params = list(key_params), list(query_params)
    if len(key_params) != len(query_params):
        raise ValueError(f'momentum_update: {len(key_params)} key and '
                         f'{len(query_params)} query parameters; the key '
                         f'encoder must be a copy of the query encoder.')
    if not key_params:
        return
    torch._foreach_mul_(key_params, momentum)
    torch._foreach_add_(key_params, query_params, alpha=1.0 - momentum)


@torch.no_grad()
def enqueue(queue: torch.Tensor, queue_labels: torch.Tensor,
            pointer: torch.Tensor, keys: torch.Tensor,
            labels: torch.Tensor) -> None:
    """Write ``keys`` over the oldest entries of a circular queue, in place.

    Entry ``(p + i) mod K`` gets ``keys[i]`` (``p`` the pointer), then the
    pointer moves to ``(p + n) mod K``: first in, first out, wrapping around
    at the end (the batch need not divide ``K``).

    Args:
        queue (torch.Tensor): The keys ``(K, D)``.
        queue_labels (torch.Tensor): Their labels ``(K, )``.
        pointer (torch.Tensor): The next write position, int64 ``(1, )``.
        keys (torch.Tensor): New keys ``(n, D)``, ``n <= K``.
        labels (torch.Tensor): Their labels ``(n, )``.
    """
    size, num = queue.size(0), keys.size(0)
    if num > size:
        raise ValueError(f'enqueue: {num} keys (the global batch) do not '
                         f'fit a queue of {size}; raise queue_size to at '
                         f'least the global batch size.')
    index = (pointer + torch.arange(num, device=pointer.device)) % size
    queue.index_copy_(0, index, keys.to(queue.dtype))
    queue_labels.index_copy_(0, index, labels.to(queue_labels.dtype))
    pointer.copy_((pointer + num) % size)


def _world() -> int:
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


@torch.no_grad()
def concat_all_gather(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor of every rank in rank order (no gradient).

    Every rank must pass the same shape. Without a process group the tensor
    itself is returned.
    """
    world = _world()
    if world == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world)]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


class _GatherWithGrad(torch.autograd.Function):
    """All-gather whose backward sums the gradients of every rank's copy
    and returns this rank's slice."""

    @staticmethod
    def forward(ctx, tensor):
        world = dist.get_world_size()
        ctx.rank, ctx.num = dist.get_rank(), tensor.size(0)
        parts = [torch.empty_like(tensor) for _ in range(world)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        start = ctx.rank * ctx.num
        return grad[start:start + ctx.num]


def gather_with_grad(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate a tensor of every rank, differentiable.

    The gradient reaching this rank's slice is the sum over ranks of the
    gradients of their copies, so that with DDP's gradient averaging a loss
    averaged over the ranks' equal batches gets exactly the gradient of the
    same loss on one process with the global batch.
    """
    if _world() == 1:
        return tensor
    return _GatherWithGrad.apply(tensor)
