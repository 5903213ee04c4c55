# Copyright (c) mmlt contributors. All rights reserved.
from typing import Optional

import torch
from mmpretrain.registry import MODELS
from torch import nn

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from mmlt.utils.precision import autocast_off
from .logit_adjusted_loss import logit_adjustment
from .utils import (buffer_like, check_class_counts, check_finite,
                    check_finite_loss, check_labels, check_number, set_buffer)


def paco_loss(query: torch.Tensor,
              labels: torch.Tensor,
              contrast: torch.Tensor,
              contrast_labels: torch.Tensor,
              centre_logits: torch.Tensor,
              log_prior: torch.Tensor,
              alpha: float,
              beta: float = 1.0,
              gamma: float = 1.0,
              temperature: float = 0.2,
              centre_temperature: float = 1.0,
              base_temperature: Optional[float] = None,
              self_offset: int = 0) -> torch.Tensor:
    r"""Per-sample parametric contrastive loss (PaCo, Cui et al., ICCV 2021).

    `Parametric Contrastive Learning <https://arxiv.org/abs/2107.12028>`_,
    Eq. (6)-(8), as the authors' code computes it. For the query
    :math:`q_i` with label :math:`y_i`, the logits are the
    logit-adjusted similarities to the learnable class centres and the
    similarities to the contrast set (queries, keys and the queue),

    .. math::
        s_{ic} = (c_c^\top f_i + \log \pi_c) / t_c, \qquad
        s_{ij} = q_i^\top z_j / \tau,

    and with positives weighted :math:`\beta` (own centre) and
    :math:`\alpha` (samples of class :math:`y_i`, self excluded), the
    sample terms of the denominator weighted :math:`\gamma`,

    .. math::
        \ell_i = -\frac{\tau}{\tau_b}
        \frac{\beta\,(s_{iy_i} - \log Z_i) + \alpha \sum_{j\in P(i)}
        (s_{ij} - \log Z_i)}{\beta + \alpha |P(i)|}, \quad
        Z_i = \sum_c e^{s_{ic}} + \gamma \sum_{j \ne i} e^{s_{ij}}.

    The centre part alone (:math:`\alpha = \gamma = 0`) is the
    logit-adjusted (balanced softmax) cross-entropy of the classifier.
    Computed in float32 with autocast off.

    Args:
        query (torch.Tensor): L2-normalised query embeddings ``(N, D)``.
        labels (torch.Tensor): Their labels ``(N, )``.
        contrast (torch.Tensor): The contrast set ``(M, D)``; rows
            ``self_offset`` to ``self_offset + N - 1`` are the queries
            themselves (masked out as self-contrast).
        contrast_labels (torch.Tensor): Its labels ``(M, )``.
        centre_logits (torch.Tensor): Classifier logits :math:`c^\top f`
            ``(N, C)``: the similarities to the class centres.
        log_prior (torch.Tensor): :math:`\log \pi` ``(C, )``.
        alpha (float): Weight :math:`\alpha \ge 0` of sample positives.
        beta (float): Weight :math:`\beta \ge 0` of the centre positive.
            Defaults to 1.0.
        gamma (float): Weight :math:`\gamma \ge 0` of the sample terms of
            the denominator. Defaults to 1.0.
        temperature (float): :math:`\tau > 0` of the sample similarities.
            Defaults to 0.2.
        centre_temperature (float): :math:`t_c > 0` of the centre logits
            (``supt`` in the authors' code). Defaults to 1.0.
        base_temperature (float, optional): :math:`\tau_b`. Defaults to None
            (:math:`\tau`).
        self_offset (int): Row of ``contrast`` holding ``query[0]``.
            Defaults to 0.

    Returns:
        torch.Tensor: The per-sample losses ``(N, )``, float32.
    """
    num = query.size(0)
    if base_temperature is None:
        base_temperature = temperature
    with autocast_off(query.device.type):
        query, contrast = query.float(), contrast.float()
        centre = (centre_logits.float() + log_prior.float()) / \
            centre_temperature
        sample = query @ contrast.t() / temperature
        cols = torch.arange(contrast.size(0), device=query.device)
        rows = torch.arange(num, device=query.device)
        not_self = cols.unsqueeze(0) != (rows + self_offset).unsqueeze(1)
        same = labels.unsqueeze(1) == contrast_labels.unsqueeze(0)
        # Denominator: every centre, gamma x every sample but oneself.
        if gamma > 0:
            weighted = sample + torch.log(sample.new_tensor(gamma))
            weighted = weighted.masked_fill(~not_self, float('-inf'))
            log_z = torch.logsumexp(torch.cat([centre, weighted], 1), 1)
        else:
            log_z = torch.logsumexp(centre, 1)
        pos_centre = torch.zeros_like(centre).scatter_(1, labels.unsqueeze(1),
                                                       beta)
        pos_sample = (same & not_self).to(sample.dtype) * alpha
        numer = (pos_centre * centre).sum(1) + (pos_sample * sample).sum(1)
        weight = pos_centre.sum(1) + pos_sample.sum(1)
        mean_log_prob = numer / weight - log_z
        return -(temperature / base_temperature) * mean_log_prob


@MODELS.register_module()
class PaCoLoss(ClassCountsMixin, nn.Module):
    r"""The PaCo loss (Cui et al., ICCV 2021) with its class-prior
    adjustment; see :func:`paco_loss`.

    The adjustment :math:`\log \pi` comes from the training counts
    (``ClassCountsHook`` or ``class_counts=``); the model predicts with the
    raw classifier logits, so the centre branch is the balanced softmax
    cross-entropy.

    Args:
        alpha (float): Weight of the sample positives. The authors use 0.01
            on CIFAR-100-LT, 0.05 on ImageNet-LT and iNaturalist 2018,
            0.02 on Places-LT.
        beta (float): Weight of the centre positive. Defaults to 1.0.
        gamma (float): Weight of the sample terms of the denominator.
            Defaults to 1.0.
        temperature (float): :math:`\tau`. Defaults to 0.2.
        centre_temperature (float): Temperature of the centre logits.
            Defaults to 1.0.
        base_temperature (float, optional): Defaults to None
            (``temperature``).
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 alpha: float,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 temperature: float = 0.2,
                 centre_temperature: float = 1.0,
                 base_temperature: Optional[float] = None,
                 class_counts: Optional[CountsLike] = None,
                 loss_weight: float = 1.0):
        super().__init__()
        name = type(self).__name__
        self.alpha = check_number(name, 'alpha', alpha, 0)
        self.beta = check_number(name, 'beta', beta, 0)
        self.gamma = check_number(name, 'gamma', gamma, 0)
        if self.alpha == 0 and self.beta == 0:
            raise ValueError(f'{name}: alpha and beta are both 0, so no '
                             f'positive is weighted; set beta=1.0.')
        self.temperature = check_number(
            name, 'temperature', temperature, 0, low_inclusive=False)
        self.centre_temperature = check_number(
            name,
            'centre_temperature',
            centre_temperature,
            0,
            low_inclusive=False)
        self.base_temperature = None if base_temperature is None else \
            check_number(name, 'base_temperature', base_temperature, 0,
                         low_inclusive=False)
        self.loss_weight = loss_weight
        self.register_buffer('log_prior', None, persistent=False)
        self.init_class_counts(class_counts)

    def class_counts_changed(self) -> None:
        """Recompute :math:`\\log \\pi` from the new counts."""
        log_prior = logit_adjustment(self.class_counts.cpu(), 1.0).float()
        check_finite(
            type(self).__name__, log_prior, 'log(prior)',
            'check the class counts.')
        set_buffer(self, 'log_prior', log_prior)

    def forward(self,
                query: torch.Tensor,
                labels: torch.Tensor,
                contrast: torch.Tensor,
                contrast_labels: torch.Tensor,
                centre_logits: torch.Tensor,
                self_offset: int = 0) -> torch.Tensor:
        """The mean loss over the queries; see :func:`paco_loss`."""
        name = type(self).__name__
        check_class_counts(self, centre_logits)
        labels = check_labels(name, labels, centre_logits.size(1))
        loss = paco_loss(
            query,
            labels,
            contrast,
            contrast_labels,
            centre_logits,
            # float32 even under autocast: log(prior) of rare classes.
            buffer_like(self, 'log_prior', centre_logits.float()),
            alpha=self.alpha,
            beta=self.beta,
            gamma=self.gamma,
            temperature=self.temperature,
            centre_temperature=self.centre_temperature,
            base_temperature=self.base_temperature,
            self_offset=self_offset)
        check_finite_loss(
            name, loss, 'the PaCo logits',
            'check the inputs for inf/NaN (diverged '
            'training?) or raise `temperature`.')
        return self.loss_weight * loss.mean()
