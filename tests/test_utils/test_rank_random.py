# Copyright (c) mmlt contributors. All rights reserved.
import itertools

import torch

from mmlt.utils import current_rank, rank_generator, rank_seed
from mmlt.utils.rank_random import _MIX_RANK, _MIX_STEP


def test_rank_seed_formula():
    # splitmix64's constants, written out independently of the module.
    assert _MIX_RANK == 11400714819323198485
    assert _MIX_STEP == 13787848793156543929
    for seed, rank, step in [(0, 0, 0), (42, 3, 17), (2**64 - 1, 7, 10**6)]:
        expected = (seed + (rank + 1) * 11400714819323198485 +
                    (step + 1) * 13787848793156543929) % 2**63
        assert rank_seed(seed, rank, step) == expected


def test_rank_seeds_are_distinct_and_valid():
    seeds = {
        rank_seed(1234, rank, step)
        for rank, step in itertools.product(range(8), range(200))
    }
    assert len(seeds) == 8 * 200
    assert all(0 <= s < 2**63 for s in seeds)


def test_generator_reproducible_and_distinct():

    def draw(seed, step, rank):
        return torch.rand(
            1000, generator=rank_generator(seed, step, rank=rank))

    torch.testing.assert_close(draw(5, 3, 1), draw(5, 3, 1), rtol=0, atol=0)
    # Independent of the global RNG.
    torch.manual_seed(0)
    a = draw(5, 3, 1)
    torch.manual_seed(1)
    torch.testing.assert_close(a, draw(5, 3, 1), rtol=0, atol=0)
    for other in [draw(5, 4, 1), draw(5, 3, 0), draw(6, 3, 1)]:
        assert not torch.equal(a, other)
    # Generators are made for the device asked for.
    assert rank_generator(0, 0, 'cpu').device == torch.device('cpu')


def test_current_rank_outside_distributed():
    assert current_rank() == 0
    torch.testing.assert_close(
        torch.rand(10, generator=rank_generator(9, 2)),
        torch.rand(10, generator=rank_generator(9, 2, rank=0)))
