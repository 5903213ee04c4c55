# Copyright (c) mmlt contributors. All rights reserved.
"""The losses' per-step checks: agreed across ranks, deferred off the CPU,
left to the grad scaler under autocast; per-rank random streams."""
import os
import threading
import time

import pytest
import torch
from dist_utils import run_distributed
from torch._subclasses import FakeTensorMode

from mmlt.models.losses import (CategoryGHMLoss, EqualizationLoss,
                                GeometricMeanLoss, LogitAdjustedLoss,
                                runtime_checks)
from mmlt.models.losses.utils import check_finite_loss, check_labels
from mmlt.utils import rank_generator


@pytest.fixture(autouse=True)
def _fresh_checks():
    runtime_checks.reset_pending_checks()
    intervals = dict(runtime_checks._INTERVALS)
    default = runtime_checks.DEFAULT_CHECK_INTERVAL
    yield
    runtime_checks.reset_pending_checks()
    runtime_checks._INTERVALS.clear()
    runtime_checks._INTERVALS.update(intervals)
    runtime_checks.DEFAULT_CHECK_INTERVAL = default


def nan_logits(num=4, num_classes=3):
    logits = torch.randn(num, num_classes)
    logits[1, 0] = float('nan')
    return logits


def test_cpu_checks_raise_at_once():
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])
    with pytest.raises(ValueError, match='LogitAdjustedLoss: .* not finite'):
        loss(nan_logits(), torch.tensor([0, 1, 2, 0]))
    with pytest.raises(
            ValueError,
            match=r'labels must lie in \[0, 3\), got '
            r'range \[0, 3\]'):
        check_labels('L', torch.tensor([0, 3]), 3)
    with pytest.raises(
            ValueError,
            match='GeometricMeanLoss: targets and '
            '`weight` must be non-negative'):
        GeometricMeanLoss(class_counts=[5, 3, 1])(
            torch.randn(2, 3),
            torch.tensor([0, 1]),
            weight=torch.tensor([1.0, -1.0]))


def test_deferred_checks_read_every_interval():
    # As on a GPU: flags accumulate on the device and are read every 3
    # checks, naming the check that failed.
    runtime_checks.set_check_interval(3, 'cpu')
    bad, good = torch.tensor([1.0, float('nan')]), torch.ones(2)
    check_finite_loss('A', bad, 'the losses', 'fix A.')  # 1: not read yet
    check_finite_loss('B', good, 'the losses', 'fix B.')  # 2
    with pytest.raises(
            ValueError, match='^A: the losses are not finite; '
            'fix A.$'):
        check_finite_loss('B', good, 'the losses', 'fix B.')  # 3: read
    # The flags were reset by the read.
    for _ in range(6):
        check_finite_loss('A', good, 'the losses', 'fix A.')
    # Through a loss (2 checks a call: labels and losses).
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])
    labels = torch.tensor([0, 1, 2, 0])
    loss(nan_logits(), labels)
    with pytest.raises(ValueError, match='LogitAdjustedLoss: .* not finite'):
        loss(torch.randn(4, 3), labels)
    with pytest.raises(ValueError, match='positive integer'):
        runtime_checks.set_check_interval(0)


def test_accelerator_default_interval():
    assert runtime_checks.check_interval(torch.device('cpu')) == 1
    assert runtime_checks.check_interval(
        torch.device('cuda')) == runtime_checks.DEFAULT_CHECK_INTERVAL > 1


def test_deferred_checks_read_once_per_interval(monkeypatch):
    # _raise_agreed is the only place the flags are read to the host.
    reads = []
    read = runtime_checks._raise_agreed
    monkeypatch.setattr(runtime_checks, '_raise_agreed', lambda flags:
                        (reads.append(len(flags)), read(flags)))
    losses = torch.rand(8)
    runtime_checks.set_check_interval(10, 'cpu')
    for _ in range(20):
        check_finite_loss('L', losses, 'x', 'y')
    assert reads == [1, 1]
    reads.clear()
    runtime_checks.set_check_interval(1, 'cpu')
    for _ in range(20):
        check_finite_loss('L', losses, 'x', 'y')
    assert len(reads) == 20


def test_non_finite_left_to_the_grad_scaler_under_autocast():
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(nan_logits(), torch.tensor([0, 1, 2, 0]))
    assert not torch.isfinite(out)
    # Outside autocast the same input raises.
    with pytest.raises(ValueError, match='not finite'):
        check_finite_loss('L', torch.tensor([float('inf')]), 'x', 'y')


def test_no_data_no_check():
    check_finite_loss('L', torch.empty(3, device='meta'), 'x', 'y')
    check_labels('L', torch.empty(3, dtype=torch.long, device='meta'), 2)
    with FakeTensorMode():
        check_finite_loss('L', torch.empty(3, device='cuda'), 'x', 'y')
        check_labels('L', torch.zeros(3, dtype=torch.long, device='cuda'), 2)


def _watchdog(seconds):
    """Kill this rank if the test hangs (a rank left in a collective)."""
    timer = threading.Timer(seconds, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    return timer


def _expect_error(fn):
    start = time.perf_counter()
    try:
        fn()
    except ValueError as error:
        return str(error), time.perf_counter() - start
    return None, time.perf_counter() - start


def _ranks(rank, world_size):
    timer = _watchdog(90)
    out = {}
    # 1. EqualizationLoss: every rank seeded alike, as mmengine does.
    torch.manual_seed(0)
    eql = EqualizationLoss(lambda_=0.5, gamma=0.5, class_counts=[9, 1, 1])
    logits = torch.zeros(64, 3)
    out['masks'] = [eql._draw_drops(logits) for _ in range(2)]
    out['seed'] = torch.initial_seed()
    torch.manual_seed(0)
    out['again'] = EqualizationLoss(
        lambda_=0.5, gamma=0.5, class_counts=[9, 1, 1])._draw_drops(logits)
    labels = torch.tensor([0, 1, 2, 0])
    # 2. Labels out of range on rank 0 only.
    bad = torch.tensor([0, 1, 2, 5]) if rank == 0 else labels
    out['labels'] = _expect_error(lambda: LogitAdjustedLoss(
        class_counts=[5, 3, 1])(torch.randn(4, 3), bad))
    # 3. Deferred (as on a GPU): a NaN on rank 1 at the first of 2 calls,
    # read after 4 checks (labels and losses, twice).
    runtime_checks.set_check_interval(4, 'cpu')
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])
    first = nan_logits() if rank == 1 else torch.randn(4, 3)
    loss(first, labels)
    out['deferred'] = _expect_error(lambda: loss(torch.randn(4, 3), labels))
    runtime_checks.set_check_interval(1, 'cpu')
    # 4. The case: a NaN on rank 1 only, then a collective (a
    # loss's all_reduce, DDP's gradient reduction) the other rank waits in.
    loss = LogitAdjustedLoss(class_counts=[5, 3, 1])
    logits = nan_logits() if rank == 1 else torch.randn(4, 3)

    def step():
        loss(logits, labels)
        torch.distributed.all_reduce(torch.ones(1))

    out['nan'] = _expect_error(step)
    # 5. CategoryGHMLoss: its histograms are all-reduced every step, so a
    # rank that raised alone would leave the other waiting in that
    # all_reduce. A NaN logit on rank 1, two steps.
    ghm = CategoryGHMLoss(num_classes=3, inter=False, density='uniform')
    ghm_logits = nan_logits() if rank == 1 else torch.randn(4, 3)
    out['ghm'] = _expect_error(
        lambda: [ghm(ghm_logits, labels) for _ in range(2)])
    timer.cancel()
    return out


def test_two_ranks_agree_and_draw_their_own_masks():
    results = run_distributed(_ranks, 2)
    # Per-rank masks: different across ranks, the next draw differs, and a
    # loss rebuilt with the same seed draws them again.
    seed = results[0]['seed']
    assert results[1]['seed'] == seed
    assert not torch.equal(results[0]['masks'][0], results[1]['masks'][0])
    for rank, result in enumerate(results):
        assert not torch.equal(result['masks'][0], result['masks'][1])
        assert torch.equal(result['again'], result['masks'][0])
        for step, mask in enumerate(result['masks']):
            expected = torch.rand(
                64, 3, generator=rank_generator(seed, step, rank=rank)) < 0.5
            assert torch.equal(mask, expected)
    # Every rank raises, naming the rank that saw the bad value, at once.
    for key, match, where in [
        ('labels', r'labels must lie in \[0, 3\)', 'on rank 0 of 2'),
        ('deferred', 'LogitAdjustedLoss: .* not finite', 'on rank 1 of 2'),
        ('nan', 'LogitAdjustedLoss: .* not finite', 'on rank 1 of 2'),
        ('ghm', 'CategoryGHMLoss: the intra-category weighted losses are '
         'not finite', 'on rank 1 of 2'),
    ]:
        for rank, result in enumerate(results):
            message, seconds = result[key]
            assert message is not None, (key, rank)
            assert where in message and seconds < 10, (key, rank, message)
            assert __import__('re').search(match, message), message
