# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence

import torch
from mmpretrain.registry import MODELS
from torch import nn


@MODELS.register_module()
class CombinedLoss(nn.Module):
    """The sum of several losses on the same logits and targets.

    mmpretrain's heads hold one ``loss_module``; this one builds each config
    of ``losses`` and adds their values, each with its own ``loss_weight``.
    E.g. "No One Left Behind" (CVPR 2023) fine-tunes MiSLAS's classifier
    with the geometric mean loss plus MiSLAS's label-aware smoothing loss
    (``configs/gml/mislas-gml_*``). Losses that need the class counts get
    them from ``ClassCountsHook`` like any loss of the model.

    Args:
        losses (Sequence[dict]): The configs of the losses, at least one.
    """

    def __init__(self, losses: Sequence[dict]):
        super().__init__()
        if isinstance(losses, dict) or not losses:
            raise ValueError(f'{type(self).__name__}: `losses` must be a '
                             f'non-empty list of loss configs, got '
                             f'{losses!r}.')
        self.losses = nn.ModuleList(MODELS.build(cfg) for cfg in losses)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the sum of the losses.

        Every argument is passed to every loss.

        Returns:
            torch.Tensor: The summed loss.
        """
        return sum(
            loss(
                cls_score,
                label,
                weight=weight,
                avg_factor=avg_factor,
                reduction_override=reduction_override,
                **kwargs) for loss in self.losses)
