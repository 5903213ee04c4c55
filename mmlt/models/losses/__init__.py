# Copyright (c) mmlt contributors. All rights reserved.
from .balanced_softmax_loss import BalancedSoftmaxLoss
from .category_ghm import (accumulate_histogram, adaptive_bin_index,
                           adaptive_edges, category_ghm_weights,
                           category_histogram, inter_category_margins,
                           margin_logits, rebin_histogram, uniform_edges)
from .category_ghm_loss import CategoryGHMLoss
from .class_balanced_loss import (ClassBalancedLoss, class_balanced_weights,
                                  loss_per_target_class)
from .combined_loss import CombinedLoss
from .deferred_reweighting import deferred_reweighting_weights
from .distillation_loss import kl_distillation
from .equalization_loss import (EqualizationLoss, equalization_tail_mask,
                                equalization_weights,
                                softmax_equalization_loss)
from .focal_loss import SoftmaxFocalLoss, softmax_focal_loss
from .geometric_mean_loss import (GeometricMeanLoss, class_mean_log_prob,
                                  geometric_mean_loss, reweighted_log_softmax)
from .ghm_loss import GHMCLoss, ghm_bin_index, ghm_weights
from .gradual_balanced_loss import GradualBalancedLoss
from .label_aware_smoothing_loss import (LabelAwareSmoothingLoss,
                                         label_aware_smoothed_targets,
                                         label_aware_smoothing)
from .ldam_loss import LDAMLoss, ldam_logits, ldam_margins
from .logit_adjusted_loss import LogitAdjustedLoss, logit_adjustment
from .paco_loss import PaCoLoss, paco_loss
from .reweighted_cross_entropy_loss import ReweightedCrossEntropyLoss
from .ride_loss import RIDELoss, ride_diversity_temperature, ride_loss

__all__ = [
    'ClassBalancedLoss', 'class_balanced_weights', 'loss_per_target_class',
    'SoftmaxFocalLoss', 'softmax_focal_loss', 'GHMCLoss', 'ghm_bin_index',
    'ghm_weights', 'EqualizationLoss', 'equalization_tail_mask',
    'equalization_weights', 'softmax_equalization_loss', 'LDAMLoss',
    'ldam_margins', 'ldam_logits', 'deferred_reweighting_weights',
    'ReweightedCrossEntropyLoss', 'logit_adjustment', 'LogitAdjustedLoss',
    'BalancedSoftmaxLoss', 'LabelAwareSmoothingLoss', 'label_aware_smoothing',
    'label_aware_smoothed_targets', 'GeometricMeanLoss', 'geometric_mean_loss',
    'class_mean_log_prob', 'reweighted_log_softmax', 'CombinedLoss',
    'GradualBalancedLoss', 'kl_distillation', 'CategoryGHMLoss',
    'accumulate_histogram', 'adaptive_bin_index', 'adaptive_edges',
    'category_ghm_weights', 'category_histogram', 'inter_category_margins',
    'margin_logits', 'rebin_histogram', 'uniform_edges', 'PaCoLoss',
    'paco_loss', 'RIDELoss', 'ride_loss', 'ride_diversity_temperature'
]
