# Copyright (c) mmlt contributors. All rights reserved.
import logging
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.evaluation import Accuracy
from mmpretrain.registry import METRICS

from mmlt.utils import ClassCountsMixin
from ..functional import (geometric_mean, harmonic_mean, index_groups,
                          per_class_recall, shot_groups)
from ..functional.long_tail import check_group_thresholds

#: Value substituted for a zero recall in the geometric and harmonic means.
ZERO_RECALL_EPS = 1e-3


@METRICS.register_module()
class LongTailMetric(BaseMetric, ClassCountsMixin):
    """Accuracy, shot-group and worst-class metrics for long-tailed data.

    Besides the overall top-k accuracy, it reports the mean per-class recall
    of the many-shot (> ``many_thr`` training images), medium-shot and
    few-shot (< ``few_thr``) classes (and, with ``rare_thr``, of the rare
    classes, < ``rare_thr``; few-shot is then ``rare_thr`` .. ``few_thr - 1``),
    and, following "No One Left Behind"
    (CVPR 2023), the geometric and harmonic means and the lowest of the
    per-class recalls. All values are percentages, like mmpretrain's
    :class:`~mmpretrain.evaluation.Accuracy`:

    - ``top1``, ``top{k}``: sample accuracy.
    - ``many``, ``medium``, ``few`` (and ``rare``): mean recall of the
      group's classes. A group without any class is left out.
    - ``gmean_recall``, ``hmean_recall``: means of the per-class recalls, a
      zero recall replaced by 1e-3 (i.e. 0.1%).
    - ``lowest_recall``: the lowest per-class recall.
    - ``zero_recall_classes``: how many classes have zero recall, i.e. how
      many substitutions the two means above contain.

    Classes without any test sample have no recall and are left out of every
    per-class statistic.

    The training counts come from ``class_counts`` or, when it is None, from
    :class:`~mmlt.engine.hooks.ClassCountsHook`. Without counts, the group
    keys are left out (unless ``index_boundaries`` is given) and everything
    else is still reported.

    The per-class table of the last evaluation is kept in
    :attr:`last_per_class` (on the main process only) for
    :class:`~mmlt.engine.hooks.PerClassRecallHook` to write out.

    Args:
        topk (int | Sequence[int]): The k of the top-k accuracies reported
            besides ``top1``. Defaults to ``(1, )``.
        class_counts (Sequence[int], optional): Training images per class.
            Defaults to None (set by ``ClassCountsHook``).
        many_thr (int): Classes with more training images are many-shot.
            Defaults to 100.
        few_thr (int): Classes with fewer training images are few-shot.
            Defaults to 20.
        rare_thr (int, optional): Classes with fewer training images are
            rare, a fourth group (as in the Many / Medium / Few / Rare
            tables of category-wise GHM, Zhang et al., ICASSP 2022);
            ``1 <= rare_thr < few_thr``. Needs grouping by counts, not
            ``index_boundaries``. Defaults to None (three groups).
        index_boundaries (Sequence[int], optional): Group by class index
            instead of by count: the first index of the medium and of the few
            group, e.g. ``(36, 71)`` for CIFAR-100-LT as MiSLAS reports it.
            Defaults to None.
        num_classes (int, optional): The number of classes. Defaults to None
            (the length of the counts, of ``dataset_meta['classes']`` or of
            the prediction scores).
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to None
            (``'long-tail'``).
    """
    default_prefix: Optional[str] = 'long-tail'

    # An evaluation split may hold a class absent from training: it is then
    # simply few-shot, nothing here divides by the counts.
    class_counts_allow_zero = True

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 class_counts: Optional[Sequence[int]] = None,
                 many_thr: int = 100,
                 few_thr: int = 20,
                 rare_thr: Optional[int] = None,
                 index_boundaries: Optional[Sequence[int]] = None,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not self.topk or min(self.topk) < 1:
            raise ValueError(f'topk must be positive integers, got {topk}.')
        try:
            check_group_thresholds(many_thr, few_thr, rare_thr)
        except ValueError as error:
            raise ValueError(f'{type(self).__name__}: {error}') from None
        if rare_thr is not None and index_boundaries is not None:
            raise ValueError(
                f'{type(self).__name__}: rare_thr groups classes by training '
                f'count, index_boundaries by class index; give one of them.')
        if index_boundaries is not None and len(index_boundaries) != 2:
            raise ValueError(f'index_boundaries must be two class indices '
                             f'(start of medium, start of few), got '
                             f'{index_boundaries}.')
        self.many_thr = many_thr
        self.few_thr = few_thr
        self.rare_thr = rare_thr
        self.index_boundaries = (None if index_boundaries is None else tuple(
            int(b) for b in index_boundaries))
        self.num_classes = num_classes
        self.init_class_counts(class_counts, num_classes)

        #: dict | None: The per-class table of the last evaluation.
        self.last_per_class: Optional[dict] = None
        #: dict | None: The metrics of the last evaluation, without prefix.
        self.last_metrics: Optional[dict] = None
        self._score_dim: Optional[int] = None
        self._warned = set()

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store the predictions and labels of one batch.

        Args:
            data_batch: A batch of data from the dataloader.
            data_samples (Sequence[dict]): A batch of outputs from the model,
                with ``gt_label`` and ``pred_score`` or ``pred_label``.
        """
        # Scores are only needed for top-k with k > 1; labels are smaller.
        need_scores = max(self.topk) > 1
        for data_sample in data_samples:
            score = data_sample.get('pred_score')
            if score is not None:
                self._score_dim = score.numel()
            result = dict(gt_label=data_sample['gt_label'].cpu().reshape(-1))
            if need_scores:
                if score is None:
                    raise ValueError(
                        f'{type(self).__name__}: top-{max(self.topk)} '
                        f'accuracy needs `pred_score` in the data samples.')
                result['pred_score'] = score.cpu()
            elif 'pred_label' in data_sample:
                result['pred_label'] = data_sample['pred_label'].cpu()
            else:
                result['pred_label'] = score.argmax().cpu()
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics from the collected results.

        Args:
            results (list[dict]): The results stored by :meth:`process`.

        Returns:
            dict[str, float]: The metrics, without prefix.
        """
        self.last_per_class = self.last_metrics = None
        if not results:
            return {}
        target = torch.cat([res['gt_label'] for res in results])
        metrics = {}
        if 'pred_score' in results[0]:
            scores = torch.stack([res['pred_score'] for res in results])
            pred = scores.argmax(dim=1)
            topk = sorted(set((1, ) + self.topk))
            acc = Accuracy.calculate(scores, target, topk, thrs=(None, ))
            for k, acc_k in zip(topk, acc):
                metrics[f'top{k}'] = acc_k[0].item()
        else:
            pred = torch.cat(
                [res['pred_label'].reshape(-1) for res in results])
            metrics['top1'] = Accuracy.calculate(pred, target).item()
        pred, target = pred.numpy(), target.numpy()

        num_classes = self._resolve_num_classes(pred, target)
        recall, support = per_class_recall(pred, target, num_classes)
        counts = None
        if self.has_class_counts:
            counts = self.get_class_counts(dtype=torch.int64).numpy()
        if counts is not None and counts.size != num_classes:
            raise ValueError(
                f'{type(self).__name__}: got {counts.size} class counts for '
                f'{num_classes} classes; give one count per class.')
        groups = self._groups(num_classes, counts)

        present = support > 0
        if not present.all():
            self._warn_once(
                'absent', f'{type(self).__name__}: classes '
                f'{np.flatnonzero(~present).tolist()} have no test sample '
                f'and are left out of the per-class metrics.')
        for name, mask in (groups or {}).items():
            if not mask.any():
                self._warn_once(
                    f'empty-{name}', f'{type(self).__name__}: no class is '
                    f'{name}-shot with many_thr={self.many_thr}, '
                    f'few_thr={self.few_thr}, rare_thr={self.rare_thr}, '
                    f'index_boundaries='
                    f'{self.index_boundaries}; `{name}` is not reported.')
            elif (mask & present).any():
                metrics[name] = float(recall[mask & present].mean() * 100)

        present_recall = recall[present]
        gmean, num_zero = geometric_mean(present_recall, ZERO_RECALL_EPS)
        hmean, _ = harmonic_mean(present_recall, ZERO_RECALL_EPS)
        metrics['gmean_recall'] = gmean * 100
        metrics['hmean_recall'] = hmean * 100
        metrics['lowest_recall'] = float(present_recall.min() * 100)
        metrics['zero_recall_classes'] = num_zero
        if num_zero:
            print_log(
                f'{type(self).__name__}: {num_zero} classes have zero recall; '
                f'gmean_recall and hmean_recall use {ZERO_RECALL_EPS} for '
                f'them.',
                logger='current',
                level=logging.WARNING)

        self.last_metrics = dict(metrics)
        self.last_per_class = self._per_class_table(recall, support, counts,
                                                    groups)
        return metrics

    def _resolve_num_classes(self, pred: np.ndarray,
                             target: np.ndarray) -> int:
        """The first known of: the argument, the counts, the class names, the
        score size, the largest label + 1."""
        if self.num_classes is not None:
            return self.num_classes
        if self.has_class_counts:
            return int(self.class_counts.numel())
        classes = (self.dataset_meta or {}).get('classes')
        if classes:
            return len(classes)
        if self._score_dim is not None:
            return self._score_dim
        return int(max(pred.max(), target.max())) + 1

    def _groups(self, num_classes: int,
                counts: Optional[np.ndarray]) -> Optional[dict]:
        if self.index_boundaries is not None:
            return index_groups(num_classes, self.index_boundaries)
        if counts is not None:
            return shot_groups(counts, self.many_thr, self.few_thr,
                               self.rare_thr)
        self._warn_once(
            'no-counts', f'{type(self).__name__} has no training class '
            f'counts, so `many`, `medium` and `few` are not reported. Pass '
            f'`class_counts=[...]` (or `index_boundaries=`) to the metric, or '
            f'add `ClassCountsHook` to `custom_hooks`.')
        return None

    def _per_class_table(self, recall: np.ndarray, support: np.ndarray,
                         counts: Optional[np.ndarray],
                         groups: Optional[dict]) -> dict:
        num_classes = recall.size
        classes = (self.dataset_meta or {}).get('classes')
        if not classes or len(classes) != num_classes:
            classes = [str(i) for i in range(num_classes)]
        group = [None] * num_classes
        for name, mask in (groups or {}).items():
            for i in np.flatnonzero(mask):
                group[i] = name
        if counts is None:
            counts = [None] * num_classes
        # Plain Python values (None for NaN) so the table is JSON-ready.
        return dict(
            classes=[str(c) for c in classes],
            train_counts=np.asarray(counts).tolist(),
            support=support.tolist(),
            recall=[None if np.isnan(r) else float(r * 100) for r in recall],
            group=group)

    def _warn_once(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print_log(msg, logger='current', level=logging.WARNING)
