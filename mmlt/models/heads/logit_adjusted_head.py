# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.utils.class_counts import ClassCountsStateMixin, CountsLike
from ..losses.logit_adjusted_loss import logit_adjustment
from ..losses.utils import check_finite, check_number


def posthoc_logit_adjustment(logits: torch.Tensor,
                             class_counts: CountsLike,
                             tau: float = 1.0) -> torch.Tensor:
    r"""Post-hoc logit adjustment :math:`z - \tau \log \pi`.

    Menon et al., `Long-tail learning via logit adjustment
    <https://arxiv.org/abs/2007.07314>`_ (ICLR 2021): subtracting the scaled
    log training prior :math:`\pi_c = n_c / \sum_k n_k` from the logits of a
    model trained on long-tailed data targets the balanced error.

    Args:
        logits (torch.Tensor): The logits ``(N, C)``.
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            per class ``(C, )``.
        tau (float): The temperature :math:`\tau \ge 0`. Defaults to 1.0.

    Returns:
        torch.Tensor: The adjusted logits ``(N, C)``, in the logits' dtype.
    """
    check_number('posthoc_logit_adjustment', 'tau', tau, low=0)
    adjustment = logit_adjustment(class_counts, tau)
    if logits.dim() != 2 or logits.size(1) != adjustment.numel():
        raise ValueError(f'posthoc_logit_adjustment: logits must be (N, '
                         f'{adjustment.numel()}) for {adjustment.numel()} '
                         f'class counts, got {tuple(logits.shape)}.')
    return logits - adjustment.to(logits)


@MODELS.register_module()
class LogitAdjustedLinearClsHead(ClassCountsStateMixin, LinearClsHead):
    r"""A linear head that predicts with post-hoc logit adjustment.

    Training (and ``mode='tensor'``) is that of ``LinearClsHead``;
    :meth:`predict` scores with :math:`z - \tau \log \pi`
    (:func:`posthoc_logit_adjustment`), where :math:`\pi` is the training
    class prior, from ``ClassCountsHook`` or ``class_counts``. ``tau=0``
    predicts like ``LinearClsHead``. The counts are saved in the head's
    ``state_dict``, so a model built outside a runner from a checkpoint
    (``mmpretrain.get_model``, the inferencer) predicts with them. The
    checkpoint of a ``LinearClsHead`` loads as is;
    ``tools/analysis/tune_tau_norm.py`` picks ``tau`` on the validation set.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        tau (float): The temperature :math:`\tau \ge 0`. Defaults to 1.0.
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 tau: float = 1.0,
                 class_counts: Optional[CountsLike] = None,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.tau = tau
        self.init_class_counts(class_counts, num_classes)

    @property
    def tau(self) -> float:
        """float: The temperature τ; may be set between evaluations."""
        return self._tau

    @tau.setter
    def tau(self, value: float) -> None:
        self._tau = check_number(type(self).__name__, 'tau', value, low=0)

    def predict_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The logits :meth:`predict` scores with.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.

        Returns:
            torch.Tensor: The adjusted logits ``(N, C)``.
        """
        logits = self(feats)
        counts = self.get_class_counts(device=logits.device)
        adjusted = posthoc_logit_adjustment(logits, counts, self.tau)
        check_finite(
            type(self).__name__, adjusted,
            f'the adjusted logits z - tau * log(prior) (tau={self.tau})',
            'lower `tau` or check the input logits for inf/NaN.')
        return adjusted

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict with the adjusted logits.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.
            data_samples (list[DataSample | None], optional): The samples to
                fill with ``pred_score`` and ``pred_label``. Defaults to None.

        Returns:
            list[DataSample]: The samples with predictions.
        """
        return self._get_predictions(self.predict_logits(feats), data_samples)
