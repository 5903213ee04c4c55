# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .ldam_loss import ldam_logits, ldam_margins
from .utils import (ClassWeightMixin, buffer_like, check_class_counts,
                    check_finite_loss, check_number, set_buffer)


def ride_diversity_temperature(class_counts: CountsLike,
                               reweight_factor: float) -> torch.Tensor:
    r"""RIDE's per-class factors of the diversity temperature.

    :math:`t_c = C \pi_c f + 1 - f`, normalised so that the largest is 1,
    with :math:`\pi_c = n_c / \sum_j n_j` and :math:`f` the
    ``reweight_factor``: frequent classes keep the base temperature, rare
    ones get a lower one (a sharper distribution, so their experts are
    pushed apart less softly), as in the RIDE authors' code.

    Args:
        class_counts (Sequence[int] | torch.Tensor): Positive training count
            per class, shape ``(C, )``.
        reweight_factor (float): :math:`f \in [0, 1)`.

    Returns:
        torch.Tensor: The factors ``(C, )``, float64, in ``(0, 1]``.
    """
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    prior = counts / counts.sum()
    factors = counts.numel() * prior * reweight_factor + 1 - reweight_factor
    factors = factors / factors.max()
    if (factors <= 0).any():
        raise ValueError(
            f'ride_diversity_temperature: reweight_factor={reweight_factor} '
            f'makes some temperatures non-positive; lower it.')
    return factors


def ride_loss(expert_logits: torch.Tensor,
              label: torch.Tensor,
              margins: torch.Tensor,
              s: float,
              class_weight: Optional[torch.Tensor] = None,
              diversity_factor: float = -0.2,
              temperature: Union[float, torch.Tensor] = 1.0,
              temperature_mean: Optional[float] = None,
              base_loss_factor: float = 1.0) -> torch.Tensor:
    r"""The distribution-aware diversity loss of RIDE, summed over experts.

    For every expert :math:`i` with (scaled) logits :math:`z_i`:

    .. math:: L = \sum_i \Big[\alpha\,\mathrm{CE}_w\big(z_i - s \Delta_y
              e_y, y\big) + \lambda\, \bar T^2\,
              \mathrm{KL}\big(\mathrm{softmax}(\bar z / T)\,\big\|\,
              \mathrm{softmax}(z_i / T)\big)\Big]

    the LDAM(-DRW) loss of each expert on its own logits (margins
    :math:`\Delta` scaled by ``s`` because the logits already are; class
    weights :math:`w` as ``F.cross_entropy(weight=...)``), and the KL
    divergence of the expert from the experts' mean :math:`\bar z` (the
    aggregate's logits, a constant: no gradient flows through it), averaged
    over the batch. With :math:`\lambda < 0` (RIDE uses -0.2) minimising
    the loss pushes the experts apart. ``temperature`` is a number or one
    temperature per class; :math:`\bar T` is its mean.

    Args:
        expert_logits (torch.Tensor): Logits ``(E, N, C)`` of ``E``
            experts, already scaled by ``s``.
        label (torch.Tensor): Class indices ``(N, )``.
        margins (torch.Tensor): LDAM margins ``(C, )`` (before scaling).
        s (float): The scale of the logits.
        class_weight (torch.Tensor, optional): Per-class weights ``(C, )``.
            Defaults to None.
        diversity_factor (float): :math:`\lambda`. Defaults to -0.2.
        temperature (float | torch.Tensor): :math:`T`. Defaults to 1.0.
        temperature_mean (float, optional): :math:`\bar T`. Defaults to
            None (``temperature`` if a number, else its mean).
        base_loss_factor (float): :math:`\alpha`. Defaults to 1.0.

    Returns:
        torch.Tensor: The scalar loss (float32 or wider).
    """
    num_experts, num, num_classes = expert_logits.shape
    # Softmaxes and KL in float32 at least, also under autocast.
    logits = expert_logits.float()
    flat_label = label.repeat(num_experts)
    # ldam_logits scales by its s; the logits are scaled already, so the
    # margins are scaled here and its s is 1.
    margin_logits = ldam_logits(
        logits.reshape(-1, num_classes), flat_label,
        margins.to(logits) * s, 1.0)
    weight = None if class_weight is None else class_weight.to(logits)
    # The weighted mean over E * N samples is the mean of the experts'
    # weighted means (equal denominators); times E gives their sum.
    base = F.cross_entropy(
        margin_logits, flat_label, weight=weight) * num_experts
    if diversity_factor == 0:
        return base_loss_factor * base
    if isinstance(temperature, torch.Tensor):
        temp = temperature.to(logits).view(1, 1, -1)
        if temperature_mean is None:
            temperature_mean = temp.mean()
    else:
        temp = float(temperature)
        if temperature_mean is None:
            temperature_mean = temp
    target = F.softmax(logits.detach().mean(0, keepdim=True) / temp, dim=-1)
    log_prob = F.log_softmax(logits / temp, dim=-1)
    # Batch mean of the KL of each expert, summed over the experts.
    kl = F.kl_div(log_prob, target.expand_as(log_prob), reduction='sum') / num
    return (base_loss_factor * base +
            diversity_factor * temperature_mean**2 * kl)


@MODELS.register_module()
class RIDELoss(ClassCountsMixin, ClassWeightMixin, nn.Module):
    r"""RIDE's distribution-aware diversity loss (Wang et al., ICLR 2021).

    `Long-tailed Recognition by Routing Diverse Distribution-Aware Experts
    <https://arxiv.org/abs/2010.01809>`_: every expert is trained with its
    own LDAM(-DRW) loss, and a KL term with a negative weight pushes each
    expert's (temperature-softened) distribution away from the experts'
    mean (:func:`ride_loss`). Takes the experts' logits ``(E, N, C)``, scaled
    by ``s`` (:class:`~mmlt.models.heads.RIDEHead` with its cosine
    classifiers and ``scale=s``).

    **DRW and the distribution-aware temperature.** Class weights are set
    like :class:`LDAMLoss`'s, by
    :class:`~mmlt.engine.hooks.DeferredReweightingHook` (uniform before its
    ``drw_epoch``, effective-number weights from it on). As in the authors'
    code, the diversity temperature becomes per-class
    (:func:`ride_diversity_temperature`, times ``base_temperature``) at the
    same epoch: whenever the class weights set are not all equal. Before,
    it is ``base_temperature``. Both follow from the weights the hook sets
    at every epoch, so a resumed run gets them back without state.

    Args:
        max_m (float): The largest LDAM margin. Defaults to 0.5.
        s (float): The logit scale; must equal the head's ``scale``.
            Defaults to 30.0.
        diversity_factor (float): :math:`\lambda` of the KL term; negative
            values encourage diversity. Defaults to -0.2 (RIDE).
        base_temperature (float): The diversity temperature. Defaults to 1.0.
        reweight_factor (float): :math:`f` of the per-class temperature;
            0.05 on CIFAR, 0.02 on ImageNet-LT, 0.015 on iNaturalist in the
            authors' configs. Defaults to 0.05.
        base_loss_factor (float): Weight of the experts' LDAM losses.
            Defaults to 1.0.
        class_weight (Sequence[float], optional): Fixed per-class weights.
            Defaults to None.
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    #: The head passes the experts' logits ``(E, N, C)``, not their mean.
    multi_expert = True

    def __init__(self,
                 max_m: float = 0.5,
                 s: float = 30.0,
                 diversity_factor: float = -0.2,
                 base_temperature: float = 1.0,
                 reweight_factor: float = 0.05,
                 base_loss_factor: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        name = type(self).__name__
        self.max_m = check_number(name, 'max_m', max_m, 0)
        self.s = check_number(name, 's', s, 0, low_inclusive=False)
        self.diversity_factor = float(diversity_factor)
        self.base_temperature = check_number(
            name, 'base_temperature', base_temperature, 0, low_inclusive=False)
        if not 0 <= reweight_factor < 1:
            raise ValueError(f'{name}: `reweight_factor` must lie in [0, 1),'
                             f' got {reweight_factor!r}.')
        self.reweight_factor = reweight_factor
        self.base_loss_factor = float(base_loss_factor)
        self.loss_weight = loss_weight
        self.register_buffer('margins', None, persistent=False)
        self.register_buffer('temperature', None, persistent=False)
        self.temperature_mean = self.base_temperature
        self.diversity_reweighted = False
        self._temperature_factors = None
        self.init_class_counts(class_counts)
        self.set_class_weight(class_weight)

    def class_counts_changed(self) -> None:
        """Recompute the margins and temperature factors."""
        counts = self.class_counts.cpu()
        set_buffer(self, 'margins', ldam_margins(counts, self.max_m).float())
        self._temperature_factors = ride_diversity_temperature(
            counts, self.reweight_factor)
        self._update_temperature()

    def set_class_weight(self, class_weight) -> None:
        """Set the class weights; non-uniform weights also switch the
        diversity temperature to the per-class one (RIDE's reweighting
        epoch)."""
        super().set_class_weight(class_weight)
        weight = self.class_weight
        # Once per epoch, off the training step: a host check is fine.
        self.diversity_reweighted = bool(
            weight is not None and weight.numel() > 1
            and not torch.all(weight == weight.flatten()[0]))
        self._update_temperature()

    def _update_temperature(self) -> None:
        factors = getattr(self, '_temperature_factors', None)
        if self.diversity_reweighted and factors is not None:
            temperature = self.base_temperature * factors
            # A Python number, so the step needs no host sync for it.
            self.temperature_mean = float(temperature.mean())
            set_buffer(self, 'temperature', temperature.float())
        else:
            self.temperature_mean = self.base_temperature
            set_buffer(self, 'temperature', None)

    def forward(self, expert_logits: torch.Tensor, label: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            expert_logits (torch.Tensor): The experts' logits ``(E, N, C)``,
                or ``(N, C)`` for a single expert.
            label (torch.Tensor): Class indices ``(N, )``.

        Returns:
            torch.Tensor: The scalar loss.
        """
        name = type(self).__name__
        if expert_logits.dim() == 2:
            # One expert: LDAM(-DRW) alone (the KL term is then zero).
            expert_logits = expert_logits.unsqueeze(0)
        if expert_logits.dim() != 3:
            raise ValueError(
                f'{name}: expects the experts\' logits of shape (E, N, C) '
                f'(or (N, C) for one expert), got '
                f'{tuple(expert_logits.shape)}; use it as the loss of '
                f'RIDEHead.')
        if label.dim() != 1:
            raise ValueError(f'{name}: needs class indices (N, ), got a '
                             f'target of shape {tuple(label.shape)}.')
        check_class_counts(self, expert_logits[0])
        # The buffers in float32 on the logits' device (the loss is computed
        # in float32 also when the logits are half precision).
        ref = expert_logits.new_empty(0, dtype=torch.float32)
        class_weight = (None if self.class_weight is None else buffer_like(
            self, 'class_weight', ref))
        temperature = (
            self.base_temperature if self.temperature is None else buffer_like(
                self, 'temperature', ref))
        loss = ride_loss(
            expert_logits,
            label,
            buffer_like(self, 'margins', ref),
            self.s,
            class_weight=class_weight,
            diversity_factor=self.diversity_factor,
            temperature=temperature,
            temperature_mean=self.temperature_mean,
            base_loss_factor=self.base_loss_factor)
        check_finite_loss(
            name, loss, 'the experts\' margin logits and KL term',
            f'lower `s` (={self.s}) or check the input logits for inf/NaN.')
        return self.loss_weight * loss
