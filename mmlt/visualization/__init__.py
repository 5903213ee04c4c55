# Copyright (c) mmlt contributors. All rights reserved.
from .per_class_recall import (figure_to_rgb, per_class_recall_figure,
                               plot_class_distribution, plot_per_class_recall)

__all__ = [
    'plot_per_class_recall', 'plot_class_distribution',
    'per_class_recall_figure', 'figure_to_rgb'
]
