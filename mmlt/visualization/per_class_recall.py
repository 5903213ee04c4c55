# Copyright (c) mmlt contributors. All rights reserved.
"""Figures of per-class results and of the class distribution.

Both functions only write a file, with matplotlib's non-interactive Agg
backend, so they work on headless training machines.
"""
from typing import Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Above this many classes, tick labels would overlap: show ranks instead.
MAX_LABELED_CLASSES = 50


def _new_figure(num_classes: int, height: float = 4.5) -> Figure:
    # A Figure with its own Agg canvas leaves pyplot's global backend and
    # figure list alone, so nothing leaks across calls.
    width = min(max(6.0, 0.25 * num_classes), 16.0)
    figure = Figure(figsize=(width, height), layout='constrained')
    FigureCanvasAgg(figure)
    return figure


def _label_classes(ax, classes: Sequence[str], order: np.ndarray,
                   xlabel: str) -> None:
    if len(order) <= MAX_LABELED_CLASSES:
        ax.set_xticks(np.arange(len(order)))
        ax.set_xticklabels([classes[i] for i in order],
                           rotation=90,
                           fontsize=7)
    else:
        ax.set_xlabel(xlabel)
    ax.set_xlim(-0.5, len(order) - 0.5)


def per_class_recall_figure(recall: Sequence[Optional[float]],
                            train_counts: Optional[Sequence[Optional[int]]],
                            classes: Sequence[str],
                            title: Optional[str] = None) -> Figure:
    """Bar chart of per-class recall, classes sorted by training count.

    Bars are the recalls; when training counts are known, classes go from
    the most to the least frequent (ties keep the class order) and a line on
    a second, logarithmic axis shows the counts.

    Args:
        recall (Sequence[float | None]): Recall of each class, in percent;
            None or NaN for a class without test sample (no bar).
        train_counts (Sequence[int | None], optional): Training images of
            each class; None (or all entries None) when unknown, then
            classes keep their index order.
        classes (Sequence[str]): Class names.
        title (str, optional): Figure title. Defaults to None.

    Returns:
        matplotlib.figure.Figure: The figure (on an Agg canvas).
    """
    recall = np.array([np.nan if r is None else r for r in recall],
                      dtype=np.float64)
    if len(classes) != recall.size:
        raise ValueError(f'Got {recall.size} recalls for {len(classes)} '
                         f'classes.')
    counts = None
    if train_counts is not None and all(c is not None for c in train_counts):
        counts = np.asarray(train_counts, dtype=np.float64)
        if counts.size != recall.size:
            raise ValueError(f'Got {counts.size} training counts for '
                             f'{recall.size} classes.')
    order = (
        np.argsort(-counts, kind='stable')
        if counts is not None else np.arange(recall.size))
    x = np.arange(recall.size)

    figure = _new_figure(recall.size)
    ax = figure.add_subplot()
    ax.bar(x, recall[order], width=0.8, color='tab:blue', label='recall')
    ax.set_ylabel('recall (%)')
    ax.set_ylim(0, 100)
    xlabel = ('classes sorted by training count'
              if counts is not None else 'class index')
    _label_classes(ax, classes, order, xlabel)
    if counts is not None:
        count_ax = ax.twinx()
        count_ax.plot(
            x,
            counts[order],
            color='tab:orange',
            marker='.',
            markersize=3,
            label='training images')
        # Zero counts cannot sit on a log axis; clip them to the bottom.
        count_ax.set_yscale('log', nonpositive='clip')
        count_ax.set_ylabel('training images (log scale)')
        handles = [
            *ax.get_legend_handles_labels()[0],
            *count_ax.get_legend_handles_labels()[0]
        ]
        # Below the axes: inside, it would hide bars.
        figure.legend(
            handles=handles,
            loc='outside lower center',
            ncols=2,
            fontsize=8,
            frameon=False)
    if title:
        ax.set_title(title)
    return figure


def plot_per_class_recall(recall: Sequence[Optional[float]],
                          train_counts: Optional[Sequence[Optional[int]]],
                          classes: Sequence[str],
                          out_file: str,
                          title: Optional[str] = None) -> None:
    """Save :func:`per_class_recall_figure` to ``out_file`` (the format
    follows the extension)."""
    per_class_recall_figure(recall, train_counts, classes, title).savefig(
        out_file, dpi=150)


def figure_to_rgb(figure: Figure, dpi: int = 100) -> np.ndarray:
    """The figure as an ``(H, W, 3)`` uint8 RGB array, the form
    ``Visualizer.add_image`` takes.

    Args:
        figure (Figure): A figure on an Agg canvas.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        np.ndarray: The image.
    """
    figure.set_dpi(dpi)
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()


def plot_class_distribution(counts: Sequence[int],
                            classes: Optional[Sequence[str]],
                            out_file: str,
                            title: Optional[str] = None) -> None:
    """Bar chart of training images per class, most frequent first, on a
    logarithmic axis.

    Args:
        counts (Sequence[int]): Images of each class.
        classes (Sequence[str], optional): Class names. Defaults to the
            class indices when None.
        out_file (str): Where to save the figure; the format follows the
            extension.
        title (str, optional): Figure title. Defaults to the number of
            images and the imbalance factor (largest / smallest count).
    """
    counts = np.asarray(counts, dtype=np.float64).reshape(-1)
    if counts.size == 0:
        raise ValueError('Got no class counts to plot.')
    if classes is None:
        classes = [str(i) for i in range(counts.size)]
    if len(classes) != counts.size:
        raise ValueError(f'Got {counts.size} counts for {len(classes)} '
                         f'classes.')
    order = np.argsort(-counts, kind='stable')

    figure = _new_figure(counts.size)
    ax = figure.add_subplot()
    ax.bar(
        np.arange(counts.size), counts[order], width=0.8, color='tab:orange')
    ax.set_yscale('log', nonpositive='clip')
    ax.set_ylabel('images (log scale)')
    _label_classes(ax, classes, order, 'classes sorted by image count')
    if title is None:
        smallest = counts.min()
        imbalance = (f'{counts.max() / smallest:.1f}'
                     if smallest > 0 else 'inf')
        title = (f'{int(counts.sum())} images, {counts.size} classes, '
                 f'imbalance factor {imbalance}')
    ax.set_title(title)
    figure.savefig(out_file, dpi=150)
