# Copyright (c) mmlt contributors. All rights reserved.
"""RIDE's expert-assignment router (Wang et al., ICLR 2021)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn


def cumulative_mean_logits(expert_logits: torch.Tensor) -> torch.Tensor:
    """The mean logits of the first ``i + 1`` experts, for every ``i``.

    Args:
        expert_logits (torch.Tensor): Logits ``(E, N, C)`` of ``E`` experts.

    Returns:
        torch.Tensor: ``(E, N, C)``; entry ``i`` averages experts ``0..i``.
    """
    num_experts = expert_logits.shape[0]
    counts = torch.arange(
        1,
        num_experts + 1,
        device=expert_logits.device,
        dtype=expert_logits.dtype).view(-1, 1, 1)
    return expert_logits.cumsum(0) / counts


def router_targets(expert_logits: torch.Tensor,
                   label: torch.Tensor) -> torch.Tensor:
    """Whether consulting more experts helps each sample (RIDE's targets).

    After experts ``0..i``, the next expert should be consulted when the
    mean of experts ``0..i`` misclassifies the sample and the mean of some
    longer prefix ``0..j`` (``j > i``) classifies it correctly.

    Args:
        expert_logits (torch.Tensor): Logits ``(E, N, C)``.
        label (torch.Tensor): Class indices ``(N, )``.

    Returns:
        torch.Tensor: Boolean ``(E - 1, N)``; row ``i`` is the target of the
        decision taken after expert ``i``.
    """
    correct = cumulative_mean_logits(expert_logits).argmax(-1) == label
    # later[j]: some prefix 0..k with k >= j is correct.
    later = correct.flip(0).int().cummax(0).values.flip(0).bool()
    return ~correct[:-1] & later[1:]


def route_experts(help_logits: torch.Tensor,
                  threshold: float = 0.5) -> torch.Tensor:
    """Which experts each sample uses under RIDE's routing rule.

    Expert 0 is always used; after expert ``i``, the next one is consulted
    when ``sigmoid(help_logits[i]) > threshold`` and every earlier decision
    consulted too, so each sample uses a prefix of the experts.

    Args:
        help_logits (torch.Tensor): Router logits ``(E - 1, N)``; row ``i``
            decides after expert ``i``, from experts ``0..i``.
        threshold (float): The probability above which the next expert is
            consulted. Defaults to 0.5.

    Returns:
        torch.Tensor: Boolean ``(E, N)``, the experts used per sample.
    """
    consult = torch.sigmoid(help_logits.float()) > threshold
    first = consult.new_ones((1, consult.shape[1]))
    return torch.cat([first, consult]).int().cumprod(0).bool()


def routed_logits(expert_logits: torch.Tensor,
                  used: torch.Tensor) -> torch.Tensor:
    """The mean logits of the experts each sample uses.

    Args:
        expert_logits (torch.Tensor): Logits ``(E, N, C)``.
        used (torch.Tensor): Boolean ``(E, N)`` from :func:`route_experts`.

    Returns:
        torch.Tensor: ``(N, C)``.
    """
    mask = used.to(expert_logits.dtype).unsqueeze(-1)
    return (expert_logits * mask).sum(0) / mask.sum(0)


class ExpertRouter(BaseModule):
    """RIDE's expert-assignment router: should the next expert be asked?

    After expert ``i`` (all but the last), a small network reads the
    expert's pooled feature, L2-normalised and mapped to ``hidden_channels``
    by a per-expert linear layer and ReLU, together with the ``top_k``
    largest logits of the mean of experts ``0..i`` (how confident the
    ensemble so far is), and a linear layer shared by all decisions outputs
    one logit: consult the next expert. It is trained in RIDE's second
    stage, with the experts frozen, by binary cross-entropy against
    :func:`router_targets` with ``pos_weight`` on the positive ("the next
    experts help") class, and at inference :func:`route_experts` decides.

    Args:
        in_channels (int): Channels of the experts' pooled features.
        num_experts (int): Number of experts (>= 2).
        top_k (int): How many of the largest mean logits are read.
            Defaults to 30 (RIDE's CIFAR-100 router; 50 on ImageNet-LT and
            iNaturalist).
        hidden_channels (int): Width of the feature branch. Defaults to 16.
        pos_weight (float): BCE weight of the positive class. Defaults to
            100.0 (RIDE's configs).
        threshold (float): Probability above which the next expert is
            consulted. Defaults to 0.5.
        init_cfg (dict, optional): Initialization config. Defaults to None
            (PyTorch's default for linear layers).
    """

    def __init__(self,
                 in_channels: int,
                 num_experts: int,
                 top_k: int = 30,
                 hidden_channels: int = 16,
                 pos_weight: float = 100.0,
                 threshold: float = 0.5,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        name = type(self).__name__
        if not isinstance(num_experts, int) or num_experts < 2:
            raise ValueError(f'{name}: routing needs `num_experts` >= 2, got '
                             f'{num_experts!r}; drop `router` for one '
                             f'expert.')
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f'{name}: `top_k` must be a positive int, got '
                             f'{top_k!r}.')
        if pos_weight <= 0:
            raise ValueError(f'{name}: `pos_weight` must be > 0, got '
                             f'{pos_weight!r}.')
        if not 0 < threshold < 1:
            raise ValueError(f'{name}: `threshold` must lie in (0, 1), got '
                             f'{threshold!r}.')
        self.num_experts = num_experts
        self.top_k = top_k
        self.pos_weight = float(pos_weight)
        self.threshold = float(threshold)
        self.hidden = nn.ModuleList(
            nn.Linear(in_channels, hidden_channels)
            for _ in range(num_experts - 1))
        self.fc = nn.Linear(hidden_channels + top_k, 1)

    def forward(self, feats: Sequence[torch.Tensor],
                expert_logits: torch.Tensor) -> torch.Tensor:
        """The router's logits.

        Args:
            feats (Sequence[torch.Tensor]): The experts' pooled features,
                ``(N, D)`` each.
            expert_logits (torch.Tensor): The experts' logits ``(E, N, C)``.

        Returns:
            torch.Tensor: ``(E - 1, N)``; row ``i`` decides after expert
            ``i``.
        """
        num_classes = expert_logits.shape[-1]
        if self.top_k > num_classes:
            raise ValueError(
                f'{type(self).__name__}: `top_k`={self.top_k} exceeds the '
                f'{num_classes} classes; set router top_k <= {num_classes}.')
        mean_logits = cumulative_mean_logits(expert_logits)
        outs = []
        for i, hidden in enumerate(self.hidden):
            feat = F.relu(hidden(F.normalize(feats[i], dim=1)))
            top = mean_logits[i].topk(self.top_k, dim=1).values
            outs.append(self.fc(torch.cat([top.to(feat.dtype), feat], 1)))
        return torch.cat(outs, 1).t()

    def loss(self, help_logits: torch.Tensor,
             targets: torch.Tensor) -> torch.Tensor:
        """RIDE's router loss: BCE with ``pos_weight``, averaged over the
        samples and the decisions.

        Args:
            help_logits (torch.Tensor): ``(E - 1, N)`` from :meth:`forward`.
            targets (torch.Tensor): Boolean ``(E - 1, N)`` from
                :func:`router_targets`.

        Returns:
            torch.Tensor: The scalar loss.
        """
        logits = help_logits.float()
        return F.binary_cross_entropy_with_logits(
            logits,
            targets.to(logits.dtype),
            pos_weight=logits.new_tensor(self.pos_weight))

    def route(self, help_logits: torch.Tensor) -> torch.Tensor:
        """The experts each sample uses (:func:`route_experts`)."""
        return route_experts(help_logits, self.threshold)
