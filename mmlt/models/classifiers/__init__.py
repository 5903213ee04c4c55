# Copyright (c) mmlt contributors. All rights reserved.
from .meta_reweight import (epsilon_gradient, look_ahead, meta_reweighted_loss,
                            meta_sample_weights)
from .meta_reweight_classifier import MetaReweightClassifier  # noqa: F401
from .paco import PaCo  # noqa: F401
