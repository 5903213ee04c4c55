# Copyright (c) mmlt contributors. All rights reserved.
"""tools/benchmarks/claims.py: the claims name benchmark rows, and the
verdict rule matches an independent numpy computation."""
import numpy as np
import pytest
from utils import load_module


@pytest.fixture(scope='module')
def claims():
    return load_module('tools/benchmarks/claims.py')


def test_every_claim_names_benchmark_rows(claims):
    methods = load_module('tools/benchmarks/methods.py').METHODS
    for claim in claims.CLAIMS:
        assert claim.method in methods, claim
        assert claim.baseline in methods, claim
        assert claim.metric in ('top1', 'hmean_recall', 'lowest_recall')
    papers = {claim.paper for claim in claims.CLAIMS}
    assert len(papers) == 4


def stats(values):
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1), len(values)


@pytest.mark.parametrize('a, b, verdict', [
    ([88.1, 88.5, 88.3], [87.0, 87.2, 86.9], 'holds'),
    ([86.0, 86.4], [87.0, 87.2], 'reversed'),
    ([87.1, 86.2, 88.0], [87.0, 87.2, 86.9], 'within spread'),
])
def test_judge_against_numpy(claims, a, b, verdict):
    got = claims.judge(stats(a), stats(b))
    diff = np.mean(a) - np.mean(b)
    se = np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    np.testing.assert_allclose(got['diff'], diff)
    np.testing.assert_allclose(got['se'], se)
    assert got['verdict'] == verdict
    assert (abs(diff) >= 2 * se) == (verdict != 'within spread')


def test_one_seed_is_missing(claims):
    got = claims.judge((88.0, None, 1), stats([87.0, 87.2]))
    assert got['verdict'] == 'missing'
    assert got['se'] is None
    np.testing.assert_allclose(got['diff'], 88.0 - 87.1)


def test_claim_rows_and_markdown(claims):

    def summary(values):
        return dict(metrics=dict(top1=stats(values)))

    summaries = {
        'CatGHM-R': summary([88.8, 88.6]),
        'CE': summary([87.2, 86.9]),
        'CatGHM-R-A-AU': summary([88.0, 89.4]),
    }
    rows = claims.claim_rows(summaries)
    # Only the claims whose two rows ran, in the list's order.
    assert [(r['method'], r['baseline'])
            for r in rows] == [('CatGHM-R-A-AU', 'CatGHM-R'),
                               ('CatGHM-R', 'CE')]
    assert rows[0]['verdict'] == 'within spread'
    assert rows[1]['verdict'] == 'holds'
    text = claims.claims_markdown(rows)
    assert 'CatGHM-R ≥ CE | top-1 | 88.70 | 87.05 | +1.65' in text
    assert claims.claims_markdown([]) == ''
