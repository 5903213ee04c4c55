# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..losses.utils import check_choice, check_number
from .normed_linear_head import cosine_logits


def ensemble_probabilities(new_logits: torch.Tensor,
                           old_logits: torch.Tensor,
                           new_temperature: float = 1.0,
                           old_temperature: float = 1.0) -> torch.Tensor:
    r"""Average the temperature-scaled softmax of two classifiers.

    :math:`p = \frac{1}{2} \left(\mathrm{softmax}(o_{new} / t_{new}) +
    \mathrm{softmax}(o_{old} / t_{old})\right)`, the ensemble of "No One
    Left Behind" (CVPR 2023), Eq. (11)-(13).

    Args:
        new_logits (torch.Tensor): Logits of the new classifier ``(N, C)``.
        old_logits (torch.Tensor): Logits of the old classifier ``(N, C)``.
        new_temperature (float): :math:`t_{new} > 0`. Defaults to 1.0.
        old_temperature (float): :math:`t_{old} > 0`. Defaults to 1.0.

    Returns:
        torch.Tensor: The ensembled probabilities ``(N, C)``.
    """
    owner = 'ensemble_probabilities'
    new_temperature = check_number(
        owner, 'new_temperature', new_temperature, 0, low_inclusive=False)
    old_temperature = check_number(
        owner, 'old_temperature', old_temperature, 0, low_inclusive=False)
    if new_logits.shape != old_logits.shape or new_logits.dim() != 2:
        raise ValueError(f'{owner}: the logits must have the same shape '
                         f'(N, C), got {tuple(new_logits.shape)} and '
                         f'{tuple(old_logits.shape)}.')
    return (F.softmax(new_logits / new_temperature, dim=1) +
            F.softmax(old_logits / old_temperature, dim=1)) / 2


class OldClassifier(nn.Module):
    """A fixed classifier kept in buffers, for :class:`EnsembleClsHead`.

    Its weight and bias are buffers, not parameters: no optimizer steps
    them, and neither ``reinit_module`` (which resets parameters) nor an
    ``init_cfg`` (which matches ``nn.Linear``) touches them, so they survive
    the head re-initialisation of the classifier stage.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        cosine (bool): Whether the logits are cosine similarities (the
            classifier of ``NormedLinearClsHead``) rather than ``W x + b``.
            Defaults to False.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 cosine: bool = False) -> None:
        super().__init__()
        self.cosine = cosine
        self.register_buffer('weight', torch.zeros(num_classes, in_channels))
        self.register_buffer('bias', torch.zeros(num_classes))
        # Whether a classifier was loaded; kept in the checkpoint.
        self.register_buffer('loaded', torch.tensor(False))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """The logits ``(N, C)`` of the features ``(N, D)``."""
        if self.cosine:
            return cosine_logits(feats, self.weight) + self.bias
        return F.linear(feats, self.weight, self.bias)


@MODELS.register_module()
class EnsembleClsHead(LinearClsHead):
    r"""A linear head that predicts with the ensemble of itself and the
    classifier of the pre-trained model.

    The optional ensemble of `No One Left Behind
    <https://arxiv.org/abs/2303.03630>`_ (Du and Wu, CVPR 2023): the
    classifier re-trained with the geometric mean loss (``fc``, "new") and
    the one of the pre-trained model (``old_fc``, frozen) are combined as
    :math:`\frac{1}{2} (\mathrm{softmax}(o_{new} / t_{new}) +
    \mathrm{softmax}(o_{old} / t_{old}))` (:func:`ensemble_probabilities`).
    Training (and ``mode='tensor'``) is that of ``LinearClsHead``: only
    ``fc`` trains; :meth:`predict` scores with the ensemble.

    **Where the old classifier comes from.** ``old_fc`` is filled when a
    checkpoint is loaded:

    - a checkpoint without ``head.old_fc`` (the pre-trained model, given as
      ``load_from`` to the classifier stage) fills ``old_fc`` with a copy of
      its ``head.fc``: the weights and bias of ``LinearClsHead`` (and
      ``TauNormHead``, ``LogitAdjustedLinearClsHead``, whose raw logits are
      used), ``LWSHead``'s with its scales folded in, or
      ``NormedLinearClsHead``'s weights (set ``old_classifier='cosine'``).
      ``head.fc`` loads too; ``DecoupledStageHook(reinit_head=True)`` then
      re-initialises ``fc`` but not ``old_fc``;
    - a checkpoint with ``head.old_fc`` (a run of this head: resume,
      ``tools/test.py``) loads it as it is.

    So test an ensemble with a checkpoint of the classifier stage trained
    with this head; a checkpoint trained without it (e.g. plain GML) would
    make its own classifier the old one. Predicting without an old
    classifier is an error.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Number of input channels.
        new_temperature (float): :math:`t_{new} > 0`. Defaults to 1.0.
        old_temperature (float): :math:`t_{old} > 0`. Defaults to 1.0.
        old_classifier (str): How the old classifier scores: ``'linear'``
            (:math:`W x + b`) or ``'cosine'`` (:math:`\cos(x, W_c)`, the
            ``NormedLinearClsHead`` with ``scale=1`` of LDAM; its scale, e.g.
            LDAM's ``s``, goes into ``old_temperature``). Defaults to
            ``'linear'``.
        **kwargs: Other arguments of ``LinearClsHead`` (``loss``, ``topk``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 new_temperature: float = 1.0,
                 old_temperature: float = 1.0,
                 old_classifier: str = 'linear',
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        check_choice(
            type(self).__name__, 'old_classifier', old_classifier,
            ('linear', 'cosine'))
        self.new_temperature = new_temperature
        self.old_temperature = old_temperature
        self.old_classifier = old_classifier
        self.old_fc = OldClassifier(
            num_classes, in_channels, cosine=old_classifier == 'cosine')

    @property
    def new_temperature(self) -> float:
        """float: :math:`t_{new}`; may be set between evaluations."""
        return self._new_temperature

    @new_temperature.setter
    def new_temperature(self, value: float) -> None:
        self._new_temperature = check_number(
            type(self).__name__,
            'new_temperature',
            value,
            0,
            low_inclusive=False)

    @property
    def old_temperature(self) -> float:
        """float: :math:`t_{old}`; may be set between evaluations."""
        return self._old_temperature

    @old_temperature.setter
    def old_temperature(self, value: float) -> None:
        self._old_temperature = check_number(
            type(self).__name__,
            'old_temperature',
            value,
            0,
            low_inclusive=False)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        # A checkpoint of the pre-trained model: its classifier becomes the
        # old one (see the class docstring). Children load after this, from
        # the same dict, so the added keys reach ``old_fc``.
        old = prefix + 'old_fc.'
        weight = state_dict.get(prefix + 'fc.weight')
        if weight is not None and not any(
                key.startswith(old) for key in state_dict):
            bias = state_dict.get(prefix + 'fc.bias')
            if bias is None:
                bias = weight.new_zeros(weight.size(0))
            scales = state_dict.pop(prefix + 'scales', None)
            if scales is not None:  # LWS: s * (W x + b)
                weight = weight * scales.unsqueeze(1)
                bias = bias * scales
            # A mismatching shape is reported by fc's own loading.
            if weight.shape == self.old_fc.weight.shape:
                state_dict[old + 'weight'] = weight.detach().clone()
                state_dict[old + 'bias'] = bias.detach().clone()
                state_dict[old + 'loaded'] = torch.tensor(True)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def predict_probabilities(self,
                              feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """The ensembled probabilities :meth:`predict` scores with.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.

        Returns:
            torch.Tensor: The probabilities ``(N, C)``.
        """
        if not bool(self.old_fc.loaded):
            raise RuntimeError(
                f'{type(self).__name__} has no old classifier to ensemble '
                f'with: train the classifier stage with load_from=<the '
                f'pre-trained checkpoint> (its head.fc becomes old_fc), or '
                f'test a checkpoint of such a run.')
        pre_logits = self.pre_logits(feats)
        return ensemble_probabilities(
            self.fc(pre_logits), self.old_fc(pre_logits), self.new_temperature,
            self.old_temperature)

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict with the ensemble of the new and old classifiers.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.
            data_samples (list[DataSample | None], optional): The samples to
                fill with ``pred_score`` and ``pred_label``. Defaults to None.

        Returns:
            list[DataSample]: The samples with predictions.
        """
        scores = self.predict_probabilities(feats)
        labels = scores.argmax(dim=1, keepdim=True).detach()
        if data_samples is None:
            data_samples = [None] * scores.size(0)
        out = []
        for data_sample, score, label in zip(data_samples, scores, labels):
            if data_sample is None:
                data_sample = DataSample()
            out.append(data_sample.set_pred_score(score).set_pred_label(label))
        return out
