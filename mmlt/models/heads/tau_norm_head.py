# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..losses.utils import check_finite, check_number


def tau_normalize(weight: torch.Tensor, tau: float) -> torch.Tensor:
    r"""τ-normalise a classifier's weight matrix row by row.

    :math:`\tilde W_c = W_c / \lVert W_c \rVert_2^{\tau}` (Kang et al., ICLR
    2020): ``tau=0`` keeps the weights, ``tau=1`` gives every class a unit
    weight vector, removing the norm bias that long-tailed training leaves
    towards head classes.

    Args:
        weight (torch.Tensor): The weights ``(C, D)``, one row per class.
        tau (float): The exponent :math:`\tau \ge 0`.

    Returns:
        torch.Tensor: The normalised weights ``(C, D)``.
    """
    if weight.dim() != 2:
        raise ValueError(f'tau_normalize: weight must be a (C, D) matrix, '
                         f'got shape {tuple(weight.shape)}.')
    check_number('tau_normalize', 'tau', tau, low=0)
    norms = torch.linalg.vector_norm(weight, dim=1, keepdim=True)
    # 0 ** 0 == 1: tau=0 returns the weights even for a zero row.
    return weight / norms.pow(tau)


@MODELS.register_module()
class TauNormHead(LinearClsHead):
    r"""A linear head that predicts with τ-normalised weights.

    τ-normalisation of `Decoupling Representation and Classifier for
    Long-Tailed Recognition <https://arxiv.org/abs/1910.09217>`_ (Kang et
    al., ICLR 2020): a post-hoc fix of a classifier trained on long-tailed
    data. Training (and ``mode='tensor'``) is that of ``LinearClsHead``;
    :meth:`predict` scores with :func:`tau_normalize`\ d weights,
    :math:`z_c = \tilde W_c^\top x`, **without the bias**, as Kang et al. do,
    so ``tau=0`` gives the plain logits minus the bias. The checkpoint of a
    ``LinearClsHead`` loads as is; pick ``tau`` on the validation set with
    ``tools/analysis/tune_tau_norm.py``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        tau (float): The exponent :math:`\tau \ge 0`. Defaults to 1.0.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 tau: float = 1.0,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.tau = tau

    @property
    def tau(self) -> float:
        """float: The exponent τ; may be set between evaluations."""
        return self._tau

    @tau.setter
    def tau(self, value: float) -> None:
        self._tau = check_number(type(self).__name__, 'tau', value, low=0)

    def predict_logits(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The logits :meth:`predict` scores with.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.

        Returns:
            torch.Tensor: The logits ``(N, C)`` of the τ-normalised weights.
        """
        name = type(self).__name__
        weight = tau_normalize(self.fc.weight, self.tau)
        check_finite(
            name, weight, f'the tau-normalised weights (tau={self.tau})',
            'a class has an all-zero weight vector; use tau=0 or retrain.')
        return F.linear(self.pre_logits(feats), weight)

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict with the τ-normalised classifier.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.
            data_samples (list[DataSample | None], optional): The samples to
                fill with ``pred_score`` and ``pred_label``. Defaults to None.

        Returns:
            list[DataSample]: The samples with predictions.
        """
        return self._get_predictions(self.predict_logits(feats), data_samples)
