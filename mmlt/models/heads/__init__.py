# Copyright (c) mmlt contributors. All rights reserved.
from .afg_head import AdaptiveFeatureGeneratorHead  # noqa: F401
from .afg_head import afg_tail_mask
from .ensemble_head import (EnsembleClsHead, OldClassifier,
                            ensemble_probabilities)
from .logit_adjusted_head import LogitAdjustedLinearClsHead  # noqa: F401
from .logit_adjusted_head import posthoc_logit_adjustment
from .lws_head import LWSHead  # noqa: F401
from .normed_linear_head import NormedLinearClsHead  # noqa: F401
from .normed_linear_head import cosine_logits
from .ride_head import RIDEHead  # noqa: F401
from .ride_router import (ExpertRouter, cumulative_mean_logits, route_experts,
                          routed_logits, router_targets)
from .tau_norm_head import TauNormHead, tau_normalize  # noqa: F401
