# Copyright (c) mmlt contributors. All rights reserved.
import csv
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.dist import master_only
from mmengine.fileio import dump
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from mmlt.visualization import figure_to_rgb, per_class_recall_figure

#: Columns of the per-class CSV file, also the keys of each JSON row.
PER_CLASS_COLUMNS = ('class_index', 'class', 'train_count', 'support',
                     'recall', 'group')


def free_stem(directory: str, stem: str, exts: Sequence[str]) -> str:
    """The first of ``stem``, ``stem_1``, ``stem_2``, ... for which no file
    with any of ``exts`` exists in ``directory``."""
    candidate, index = stem, 0
    while any(
            osp.exists(osp.join(directory, candidate + ext)) for ext in exts):
        index += 1
        candidate = f'{stem}_{index}'
    return candidate


def per_class_rows(table: dict) -> list:
    """Turn a metric's ``last_per_class`` (a dict of columns) into rows.

    Args:
        table (dict): ``classes``, ``train_counts``, ``support``, ``recall``
            and ``group``, one entry per class.

    Returns:
        list[dict]: One dict per class with the keys
        :data:`PER_CLASS_COLUMNS`.
    """
    columns = zip(table['classes'], table['train_counts'], table['support'],
                  table['recall'], table['group'])
    return [
        dict(zip(PER_CLASS_COLUMNS, (index, *values)))
        for index, values in enumerate(columns)
    ]


@HOOKS.register_module()
class PerClassRecallHook(Hook):
    """Write the per-class results of long-tail metrics to the log dir.

    After every validation and after testing, for each metric of the
    evaluator that exposes a ``last_per_class`` table (i.e.
    :class:`~mmlt.evaluation.LongTailMetric`), it writes to
    ``{log_dir}/per_class/``:

    - ``val_epoch_{epoch}.json`` / ``.csv`` after validation,
    - ``test.json`` / ``.csv`` and a bar chart ``test.png`` after testing.

    An existing file is never overwritten: a numeric suffix is added instead
    (``test_1.json``), e.g. for a second metric or a second test run in the
    same log dir.

    The JSON holds ``split``, ``epoch``, ``iter``, ``metric`` (class name),
    ``prefix``, ``metrics`` (the metric's results without prefix), ``groups``
    (the grouping settings: ``many_thr``, ``few_thr``, ``rare_thr``,
    ``index_boundaries``) and ``per_class``, a list of rows with the CSV
    columns ``class_index``, ``class``, ``train_count``, ``support``,
    ``recall`` (percent) and ``group``; unknown values are null.

    The chart also goes to ``runner.visualizer`` (``add_image``, named
    ``per_class_recall_{split}``, step = the epoch), after every validation
    and after testing, so every vis backend shows it (TensorBoard's image
    tab, W&B, or ``vis_image/`` of the Local backend). The per-group recalls
    are scalars of the metric already (``long-tail/many`` ...).

    Args:
        sub_dir (str): Folder under ``runner.log_dir``. Defaults to
            ``'per_class'``.
        plot_test (bool): Whether to draw the per-class recall chart after
            testing. Defaults to True.
        visualize (bool): Whether to send the chart to the visualizer.
            Defaults to True.
    """

    def __init__(self,
                 sub_dir: str = 'per_class',
                 plot_test: bool = True,
                 visualize: bool = True) -> None:
        self.sub_dir = sub_dir
        self.plot_test = plot_test
        self.visualize = visualize

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Write the validation tables."""
        self._write(
            runner,
            runner.val_evaluator,
            'val',
            f'val_epoch_{runner.epoch}',
            plot=False)

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        """Write the test tables and charts."""
        self._write(
            runner, runner.test_evaluator, 'test', 'test', plot=self.plot_test)

    # The tables live on rank 0 only, where `compute_metrics` ran.
    @master_only
    def _write(self, runner, evaluator, split: str, stem: str,
               plot: bool) -> None:
        metrics = [
            metric for metric in evaluator.metrics
            if getattr(metric, 'last_per_class', None) is not None
        ]
        if not metrics:
            return
        out_dir = osp.join(runner.log_dir, self.sub_dir)
        os.makedirs(out_dir, exist_ok=True)
        exts = ('.json', '.csv', '.png') if plot else ('.json', '.csv')
        for metric in metrics:
            free = free_stem(out_dir, stem, exts)
            self._write_metric(runner, metric, split, osp.join(out_dir, free),
                               plot)
            runner.logger.info(
                f'Per-class results of {type(metric).__name__} written to '
                f'{osp.join(out_dir, free)}{{{",".join(exts)}}}')

    def _write_metric(self, runner, metric, split: str, path: str,
                      plot: bool) -> None:
        table = metric.last_per_class
        rows = per_class_rows(table)
        epoch, iteration = _train_progress(runner)
        record = dict(
            split=split,
            epoch=epoch,
            iter=iteration,
            metric=type(metric).__name__,
            prefix=getattr(metric, 'prefix', None),
            metrics=dict(getattr(metric, 'last_metrics', None) or {}),
            groups=dict(
                many_thr=getattr(metric, 'many_thr', None),
                few_thr=getattr(metric, 'few_thr', None),
                rare_thr=getattr(metric, 'rare_thr', None),
                index_boundaries=getattr(metric, 'index_boundaries', None)),
            per_class=rows)
        dump(record, path + '.json', indent=2)
        with open(path + '.csv', 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=PER_CLASS_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        if not (plot or self.visualize):
            return
        figure = per_class_recall_figure(
            table['recall'],
            table['train_counts'],
            table['classes'],
            title=f'{split}: per-class recall')
        if plot:
            figure.savefig(path + '.png', dpi=150)
        # A runner always has a visualizer; stand-ins in tools may not.
        visualizer = getattr(runner, 'visualizer', None)
        if self.visualize and visualizer is not None:
            visualizer.add_image(
                f'per_class_recall_{split}', figure_to_rgb(figure), step=epoch)


def _train_progress(runner) -> tuple:
    """``(epoch, iter)`` of the training loop; ``(0, 0)`` in a run that has
    not built one (``tools/test.py``).

    ``runner.epoch`` would build the training loop there, i.e. load the
    whole training set, and on rank 0 alone (this runs under
    ``master_only``): a distributed test then hangs or dies in the
    dataset's collectives (mmpretrain's MNIST calls ``dist.barrier``).
    """
    if isinstance(getattr(runner, '_train_loop', None), dict):
        return 0, 0
    return runner.epoch, runner.iter
