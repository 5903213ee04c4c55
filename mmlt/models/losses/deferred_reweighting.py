# Copyright (c) mmlt contributors. All rights reserved.
import torch

from mmlt.utils.class_counts import CountsLike
from .class_balanced_loss import class_balanced_weights


def deferred_reweighting_weights(class_counts: CountsLike,
                                 epoch: int,
                                 drw_epoch: int,
                                 beta: float = 0.9999) -> torch.Tensor:
    r"""Per-class weights of deferred re-weighting (DRW, Cao et al. 2019).

    Training starts unweighted and switches to class-balanced weights late:
    uniform weights (ones) for ``epoch < drw_epoch``, then the
    effective-number weights :math:`(1 - \beta) / (1 - \beta^{n_c})`
    normalised to sum to ``C`` (:func:`class_balanced_weights`). ``epoch``
    is 0-based like ``runner.epoch``, so with ``drw_epoch=160`` the 161st
    epoch is the first re-weighted one, as in the LDAM-DRW reference.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            per class, shape ``(C, )``.
        epoch (int): The current (0-based) epoch.
        drw_epoch (int): The first re-weighted epoch.
        beta (float): :math:`\beta \in [0, 1)`. Defaults to 0.9999.

    Returns:
        torch.Tensor: The weights ``(C, )``, float64.
    """
    weights = class_balanced_weights(class_counts, beta, 'effective_number')
    if epoch < drw_epoch:
        # Validated like the re-weighted phase, so a bad config fails early.
        return torch.ones_like(weights)
    return weights
