# Copyright (c) mmlt contributors. All rights reserved.
import math
from unittest.mock import patch

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS

from mmlt.evaluation.metrics import LongTailMetric

PRINT_LOG = 'mmlt.evaluation.metrics.long_tail_metric.print_log'


def make_samples(targets, firsts, seconds, num_classes):
    """Data samples whose top-1 prediction is ``firsts`` and top-2
    ``seconds``."""
    samples = []
    for target, first, second in zip(targets, firsts, seconds):
        score = torch.full((num_classes, ), 0.1 / num_classes)
        score[first], score[second] = 0.6, 0.3
        samples.append(
            dict(
                pred_score=score,
                pred_label=torch.tensor([first]),
                gt_label=torch.tensor([target])))
    return samples


# Counts [500, 50, 5]: one many-, one medium- and one few-shot class.
# class 0: 3 of 4 right (the miss has 0 second) -> recall 0.75
# class 1: 2 of 4 right (one miss has 1 second) -> recall 0.5
# class 2: 1 of 2 right                         -> recall 0.5
TARGETS = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
FIRSTS = [0, 0, 0, 1, 1, 1, 0, 2, 2, 0]
SECONDS = [1, 1, 1, 0, 0, 0, 2, 1, 0, 1]


def evaluate(metric, samples):
    metric.process(None, samples)
    return metric.evaluate(len(samples))


def test_long_tail_metric():
    metric = METRICS.build(
        dict(type='LongTailMetric', topk=(1, 2), class_counts=[500, 50, 5]))
    results = evaluate(metric, make_samples(TARGETS, FIRSTS, SECONDS, 3))
    expected = {
        'top1': 60.0,  # 6 of 10
        'top2': 80.0,  # plus the class-0 miss and one class-1 miss
        'many': 75.0,
        'medium': 50.0,
        'few': 50.0,
        'gmean_recall': 100 * (0.75 * 0.5 * 0.5)**(1 / 3),
        'hmean_recall': 100 * 3 / (4 / 3 + 2 + 2),  # 56.25
        'lowest_recall': 50.0,
        'zero_recall_classes': 0,
    }
    assert list(results) == [f'long-tail/{key}' for key in expected]
    for key, value in expected.items():
        assert results[f'long-tail/{key}'] == pytest.approx(value), key

    table = metric.last_per_class
    assert table['classes'] == ['0', '1', '2']
    assert table['train_counts'] == [500, 50, 5]
    assert table['support'] == [4, 4, 2]
    assert table['recall'] == pytest.approx([75.0, 50.0, 50.0])
    assert table['group'] == ['many', 'medium', 'few']
    assert metric.last_metrics == pytest.approx(expected)


def test_rare_group_means_match_numpy():
    """Four groups: the means of the recalls of the classes in each count
    range, checked against numpy, and `long-tail/rare` in the results."""
    rng = np.random.default_rng(0)
    num_classes = 12
    counts = np.array([900, 300, 101, 100, 60, 20, 19, 12, 10, 9, 3, 1])
    targets = np.repeat(np.arange(num_classes), 6)
    preds = np.where(
        rng.random(targets.size) < 0.6, targets,
        rng.integers(0, num_classes, targets.size))
    metric = LongTailMetric(class_counts=counts.tolist(), rare_thr=10)
    results = evaluate(metric, [
        dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([t]))
        for p, t in zip(preds, targets)
    ])
    recall = np.array([(preds[targets == c] == c).mean()
                       for c in range(num_classes)])
    ranges = dict(
        many=(101, np.inf), medium=(20, 100), few=(10, 19), rare=(0, 9))
    for name, (low, high) in ranges.items():
        mask = (counts >= low) & (counts <= high)
        assert results[f'long-tail/{name}'] == pytest.approx(
            100 * recall[mask].mean()), name
    assert metric.last_per_class['group'] == (['many'] * 3 + ['medium'] * 3 +
                                              ['few'] * 3 + ['rare'] * 3)
    # Without rare_thr: three groups, few = few + rare of above.
    three = evaluate(
        LongTailMetric(class_counts=counts.tolist()), [
            dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([t]))
            for p, t in zip(preds, targets)
        ])
    assert 'long-tail/rare' not in three
    assert three['long-tail/few'] == pytest.approx(100 * recall[6:].mean())


def test_rare_thr_errors():
    with pytest.raises(
            ValueError,
            match=r'LongTailMetric: rare_thr \(20\) '
            r'must be below few_thr \(20\)'):
        LongTailMetric(rare_thr=20)
    with pytest.raises(
            ValueError,
            match='LongTailMetric: rare_thr must be '
            'a positive integer'):
        LongTailMetric(rare_thr=0)
    with pytest.raises(ValueError, match='LongTailMetric: few_thr'):
        LongTailMetric(many_thr=10, few_thr=20, rare_thr=5)
    with pytest.raises(
            ValueError,
            match='rare_thr groups classes by '
            'training count, index_boundaries by class index'):
        LongTailMetric(rare_thr=5, index_boundaries=(1, 2))
    # Built from a config, as in the ImageNet-LT / iNaturalist configs.
    metric = METRICS.build(
        dict(type='LongTailMetric', many_thr=100, few_thr=20, rare_thr=10))
    assert metric.rare_thr == 10


def test_zero_recall():
    # Both class-2 samples wrong: recall 0 is replaced by 1e-3 in the means.
    firsts = FIRSTS[:8] + [0, 0]
    metric = LongTailMetric(class_counts=[500, 50, 5])
    with patch(PRINT_LOG) as print_log:
        results = evaluate(metric, make_samples(TARGETS, firsts, SECONDS, 3))
    assert results['long-tail/top1'] == pytest.approx(50.0)
    assert results['long-tail/few'] == 0.0
    assert results['long-tail/lowest_recall'] == 0.0
    assert results['long-tail/zero_recall_classes'] == 1
    assert results['long-tail/gmean_recall'] == pytest.approx(
        100 * (0.75 * 0.5 * 1e-3)**(1 / 3))
    assert results['long-tail/hmean_recall'] == pytest.approx(
        100 * 3 / (4 / 3 + 2 + 1000))
    assert 'zero recall' in print_log.call_args.args[0]


def test_top5_and_labels_only():
    # 6 classes; the true class ranks 1st, 6th, 5th and 6th.
    scores = torch.tensor([[.9, .5, .4, .3, .2, .1], [.1, .9, .5, .4, .3, .2],
                           [.9, .5, .4, .3, .2, .1], [.9, .5, .4, .3, .2, .1]])
    targets = [0, 0, 4, 5]
    samples = [
        dict(pred_score=score, gt_label=torch.tensor([target]))
        for score, target in zip(scores, targets)
    ]
    metric = LongTailMetric(topk=5, class_counts=[500, 200, 90, 50, 10, 5])
    results = evaluate(metric, samples)
    assert results['long-tail/top1'] == 25.0
    assert results['long-tail/top5'] == 50.0
    assert results['long-tail/zero_recall_classes'] == 2  # classes 4, 5
    # Classes 1-3 have no test sample: left out, so medium has none.
    assert 'long-tail/medium' not in results
    assert results['long-tail/many'] == 50.0  # class 0 only (class 1 absent)
    assert results['long-tail/few'] == 0.0
    assert metric.last_per_class['recall'][1] is None

    # With topk=(1, ) only labels are stored, taken from the scores if
    # `pred_label` is missing.
    metric = LongTailMetric(class_counts=[500, 200, 90, 50, 10, 5])
    metric.process(None, samples)
    assert set(metric.results[0]) == {'pred_label', 'gt_label'}
    assert metric.evaluate(4)['long-tail/top1'] == 25.0

    metric = LongTailMetric(topk=(1, 7))
    metric.process(None, samples)
    with pytest.raises(ValueError, match='Top-7'):
        metric.evaluate(4)


def test_missing_counts():
    metric = LongTailMetric()
    samples = make_samples(TARGETS, FIRSTS, SECONDS, 3)
    with patch(PRINT_LOG) as print_log:
        results = evaluate(metric, samples)
        evaluate(metric, samples)
    assert set(results) == {
        f'long-tail/{key}'
        for key in ('top1', 'gmean_recall', 'hmean_recall', 'lowest_recall',
                    'zero_recall_classes')
    }
    assert results['long-tail/lowest_recall'] == 50.0
    # Warned once, with how to fix it.
    assert print_log.call_count == 1
    assert 'class_counts=' in print_log.call_args.args[0]
    assert 'ClassCountsHook' in print_log.call_args.args[0]
    assert metric.last_per_class['train_counts'] == [None] * 3
    assert metric.last_per_class['group'] == [None] * 3
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        metric.get_class_counts()

    # Counts set later by the hook are used.
    assert metric.set_class_counts([500, 50, 5])
    assert evaluate(metric, samples)['long-tail/many'] == 75.0


def test_empty_group():
    metric = LongTailMetric(class_counts=[500, 200, 5])
    samples = make_samples(TARGETS, FIRSTS, SECONDS, 3)
    with patch(PRINT_LOG) as print_log:
        results = evaluate(metric, samples)
        evaluate(metric, samples)
    assert 'long-tail/medium' not in results
    assert results['long-tail/many'] == pytest.approx(62.5)  # (75 + 50) / 2
    assert results['long-tail/few'] == 50.0
    assert print_log.call_count == 1
    assert '`medium` is not reported' in print_log.call_args.args[0]
    assert metric.last_per_class['group'] == ['many', 'many', 'few']


def test_index_groups_without_counts():
    metric = LongTailMetric(index_boundaries=(1, 2))
    results = evaluate(metric, make_samples(TARGETS, FIRSTS, SECONDS, 3))
    assert results['long-tail/many'] == 75.0
    assert results['long-tail/medium'] == 50.0
    assert results['long-tail/few'] == 50.0
    assert metric.last_per_class['group'] == ['many', 'medium', 'few']


def test_invalid_args():
    with pytest.raises(ValueError, match='few_thr'):
        LongTailMetric(many_thr=10, few_thr=20)
    with pytest.raises(ValueError, match='topk'):
        LongTailMetric(topk=(0, ))
    with pytest.raises(ValueError, match='num_classes'):
        LongTailMetric(class_counts=[5, 4], num_classes=3)
    metric = LongTailMetric(class_counts=[5, 4])
    metric.process(None, make_samples(TARGETS, FIRSTS, SECONDS, 3))
    with pytest.raises(ValueError, match='labels must lie'):
        metric.evaluate(10)


def test_evaluator_prefix_and_class_names():
    metric = METRICS.build(
        dict(type='LongTailMetric', topk=(1, 2), class_counts=[500, 50, 5]))
    evaluator = Evaluator([metric])
    evaluator.dataset_meta = dict(classes=('cat', 'dog', 'emu'))
    samples = make_samples(TARGETS, FIRSTS, SECONDS, 3)
    evaluator.process(samples[:6])
    evaluator.process(samples[6:])
    results = evaluator.evaluate(len(samples))
    assert results['long-tail/top1'] == pytest.approx(60.0)
    assert results['long-tail/top2'] == pytest.approx(80.0)
    assert results['long-tail/few'] == pytest.approx(50.0)
    assert math.isclose(results['long-tail/hmean_recall'], 56.25)
    assert metric.last_per_class['classes'] == ['cat', 'dog', 'emu']

    metric = LongTailMetric(prefix='lt')
    metric.process(None, samples)
    assert 'lt/top1' in metric.evaluate(len(samples))
