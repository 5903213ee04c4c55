# Copyright (c) mmlt contributors. All rights reserved.
"""The papers' claims that the accuracy benchmark can judge, and the rule
that judges them.

Each claim says that a method is at least as good as a baseline on one
metric ("R+A+AU >= R on top-1"). From the benchmark's rows (mean, sample
std and number of seeds per method) a claim gets the difference of the
means and its standard error, ``sqrt(s_a^2 / n_a + s_b^2 / n_b)``, and a
verdict:

- *holds* / *reversed*: the difference is at least two standard errors,
  in the claimed direction or against it;
- *within spread*: it is smaller than that, so these seeds cannot tell;
- *missing*: a row is not in the table yet, or has a single seed (no
  spread to judge by).

``accuracy_benchmark.py`` writes the verdicts of the rows it has to
``claims.md`` next to ``results.md``.
"""
import math
from typing import Dict, List, NamedTuple, Optional, Sequence

#: How many standard errors make a difference "beyond the seeds' spread".
SPREAD = 2.0


class Claim(NamedTuple):
    """A method at least as good as a baseline on one metric.

    Attributes:
        paper (str): Who claims it (method and paper).
        method (str): The benchmark row that should be at least as good.
        baseline (str): The row it is compared with.
        metric (str): Key of the metric (``top1``, ``hmean_recall``,
            ``lowest_recall``, ...).
    """
    paper: str
    method: str
    baseline: str
    metric: str


_GHM = 'Category-wise GHM (Zhang et al. 2022)'
_GLAG = 'GLAG (Zhang and Xiang 2022)'
_META = 'Meta-reweighting (Jamal et al. 2020)'
_GML = 'GML (Du and Wu 2023)'

#: The claims the issue of the converged benchmark lists, paper by paper.
CLAIMS: List[Claim] = [
    Claim(_GHM, 'CatGHM-R-A-AU', 'CatGHM-R', 'top1'),
    Claim(_GHM, 'CatGHM-R', 'CE', 'top1'),
    Claim(_GLAG, 'GLAG', 'GraLoss', 'top1'),
    Claim(_GLAG, 'GLAG', 'Balanced-Softmax', 'top1'),
    Claim(_GLAG, 'GLAG', 'GLAG-noAD', 'top1'),
    Claim(_GLAG, 'GLAG', 'GLAG-noKD', 'top1'),
    Claim(_META, 'CB-Meta', 'CB', 'top1'),
    Claim(_META, 'LDAM-Meta', 'LDAM-DRW', 'top1'),
    Claim(_META, 'Focal-Meta', 'CB-focal', 'top1'),
    # What eps adds over its matched eps = 0 control.
    Claim(_META, 'CB-Meta', 'CB-DRW', 'top1'),
    Claim(_META, 'LDAM-Meta', 'LDAM-Meta-eps0', 'top1'),
    Claim(_META, 'Focal-Meta', 'Focal-Meta-eps0', 'top1'),
] + [
    Claim(_GML, f'{base}-GML', base if base != 'BS' else 'Balanced-Softmax',
          metric)
    for base in ('CE', 'BS', 'LDAM-DRW', 'MiSLAS', 'PaCo', 'RIDE')
    for metric in ('hmean_recall', 'lowest_recall')
] + [
    Claim(_GML, f'{base}-GML-ensemble',
          base if base != 'BS' else 'Balanced-Softmax', 'top1')
    for base in ('CE', 'BS', 'LDAM-DRW', 'MiSLAS', 'PaCo')
]

METRIC_NAMES = {
    'top1': 'top-1',
    'hmean_recall': 'H-mean',
    'lowest_recall': 'lowest recall',
}


def judge(method: Sequence[Optional[float]],
          baseline: Sequence[Optional[float]]) -> dict:
    """The verdict of "method >= baseline" from (mean, std, n) of each.

    Args:
        method (tuple): ``(mean, std, n)`` of the method's metric over
            seeds, as ``accuracy_benchmark.mean_std`` returns it.
        baseline (tuple): The same for the baseline.

    Returns:
        dict: ``diff`` (method - baseline, or None), ``se`` (its standard
        error, or None) and ``verdict``.
    """
    (m_a, s_a, n_a), (m_b, s_b, n_b) = method, baseline
    if m_a is None or m_b is None or min(n_a, n_b) < 2:
        diff = None if m_a is None or m_b is None else m_a - m_b
        return dict(diff=diff, se=None, verdict='missing')
    diff = m_a - m_b
    se = math.sqrt(s_a**2 / n_a + s_b**2 / n_b)
    if diff >= SPREAD * se and diff > 0:
        verdict = 'holds'
    elif diff <= -SPREAD * se and diff < 0:
        verdict = 'reversed'
    else:
        verdict = 'within spread'
    return dict(diff=diff, se=se, verdict=verdict)


def claim_rows(summaries: Dict[str, dict],
               claims: Sequence[Claim] = CLAIMS) -> List[dict]:
    """Judge every claim whose two rows the benchmark ran.

    Args:
        summaries (dict): method -> the benchmark's summary (its
            ``metrics`` map a key to ``(mean, std, n)``).
        claims (Sequence[Claim]): Defaults to :data:`CLAIMS`.

    Returns:
        list[dict]: One row per claim with both rows present: the claim's
        fields, ``method_mean``, ``baseline_mean`` and :func:`judge`'s.
    """
    rows = []
    for claim in claims:
        if claim.method not in summaries or claim.baseline not in summaries:
            continue
        a = summaries[claim.method]['metrics'][claim.metric]
        b = summaries[claim.baseline]['metrics'][claim.metric]
        rows.append(
            dict(
                claim._asdict(),
                method_mean=a[0],
                baseline_mean=b[0],
                seeds=(a[2], b[2]),
                **judge(a, b)))
    return rows


def _number(value: Optional[float], signed: bool = False) -> str:
    if value is None:
        return '–'
    return f'{value:+.2f}' if signed else f'{value:.2f}'


def claims_markdown(rows: Sequence[dict]) -> str:
    """The verdicts as a Markdown table (empty string without rows)."""
    if not rows:
        return ''
    lines = [
        f'Each claim: the method at least as good as the baseline. Verdict '
        f'"holds" or "reversed" where the difference of the means is at '
        f'least {SPREAD:g} standard errors '
        f'(sqrt(s_a²/n_a + s_b²/n_b) over seeds), "within spread" '
        f'otherwise, "missing" with fewer than two seeds a row.', '',
        '| Paper | Claim | Metric | Method | Baseline | Difference | '
        'Std. error | Seeds | Verdict |', '|---|---|---|---:|---:|---:|'
        '---:|---:|---|'
    ]
    for row in rows:
        lines.append(
            f'| {row["paper"]} | {row["method"]} ≥ {row["baseline"]} | '
            f'{METRIC_NAMES.get(row["metric"], row["metric"])} | '
            f'{_number(row["method_mean"])} | '
            f'{_number(row["baseline_mean"])} | '
            f'{_number(row["diff"], signed=True)} | {_number(row["se"])} | '
            f'{row["seeds"][0]}, {row["seeds"][1]} | {row["verdict"]} |')
    return '\n'.join(lines) + '\n'
