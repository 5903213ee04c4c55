# Copyright (c) mmlt contributors. All rights reserved.
"""MoCo's momentum update and FIFO key queue, as PaCo uses them."""
from collections import deque

import numpy as np
import pytest
import torch

from mmlt.models.utils import (concat_all_gather, enqueue, gather_with_grad,
                               momentum_update)


def test_momentum_update_formula():
    g = torch.Generator().manual_seed(0)
    key = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g)]
    query = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g)]
    want = [0.9 * k.numpy() + 0.1 * q.numpy() for k, q in zip(key, query)]
    before = [q.clone() for q in query]
    momentum_update(key, query, 0.9)
    for k, w in zip(key, want):
        np.testing.assert_allclose(k.numpy(), w, rtol=1e-6)
    # The query side is read only.
    assert all(torch.equal(a, b) for a, b in zip(query, before))
    # m = 1 freezes the key encoder, m = 0 copies the query encoder.
    frozen = [k.clone() for k in key]
    momentum_update(key, query, 1.0)
    assert all(torch.equal(a, b) for a, b in zip(key, frozen))
    momentum_update(key, query, 0.0)
    assert all(torch.equal(a, b) for a, b in zip(key, query))


def test_momentum_update_checks_pairing():
    with pytest.raises(ValueError, match='copy of the query encoder'):
        momentum_update([torch.zeros(1)], [], 0.9)


def test_enqueue_is_fifo_with_wrap_around():
    """Against a deque of the last K keys: every entry is the key written
    most recently at that slot, the oldest are replaced first, and a batch
    that does not divide K wraps around the end."""
    size, dim = 7, 2
    queue = torch.full((size, dim), -1.0)
    labels = torch.full((size, ), -1, dtype=torch.long)
    ptr = torch.zeros(1, dtype=torch.long)
    model = deque(maxlen=size)
    slots = [-1] * size
    step = 0
    for n in (3, 3, 3, 1, 5, 7):
        keys = torch.arange(step, step + n).float().unsqueeze(1).repeat(1, dim)
        key_labels = torch.arange(step, step + n) * 10
        for j in range(n):
            slots[(int(ptr) + j) % size] = step + j
        enqueue(queue, labels, ptr, keys, key_labels)
        model.extend(range(step, step + n))
        step += n
        assert int(ptr) == step % size
        assert [int(v) for v in queue[:, 0]] == slots
        assert labels.tolist() == [s * 10 if s >= 0 else -1 for s in slots]
        if step >= size:  # exactly the last K keys are held
            assert sorted(queue[:, 0].long().tolist()) == sorted(model)
    # The oldest slot is the pointer's: the next key replaces it.
    oldest = int(queue[int(ptr), 0])
    assert oldest == min(queue[:, 0].long().tolist())


def test_enqueue_rejects_batch_larger_than_queue():
    queue, labels = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    with pytest.raises(ValueError, match='raise queue_size'):
        enqueue(queue, labels, torch.zeros(1, dtype=torch.long),
                torch.ones(5, 2), torch.ones(5, dtype=torch.long))


def test_enqueue_casts_to_queue_dtype():
    queue, labels = torch.zeros(4, 2), torch.zeros(4, dtype=torch.long)
    ptr = torch.zeros(1, dtype=torch.long)
    enqueue(queue, labels, ptr, torch.ones(2, 2, dtype=torch.bfloat16),
            torch.ones(2, dtype=torch.int32))
    assert queue.dtype == torch.float32 and queue[:2].eq(1).all()


def test_gather_without_process_group_is_identity():
    x = torch.randn(3, 2, requires_grad=True)
    assert concat_all_gather(x) is x
    assert gather_with_grad(x) is x
