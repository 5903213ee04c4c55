# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Sequence, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..losses.utils import check_choice, check_number
from .normed_linear_head import cosine_logits
from .ride_router import ExpertRouter, routed_logits, router_targets

#: The experts' classifiers.
CLASSIFIERS = ('cosine', 'linear')


@MODELS.register_module()
class RIDEHead(ClsHead):
    r"""The experts' classifiers of RIDE, their aggregation and the router.

    `Long-tailed Recognition by Routing Diverse Distribution-Aware Experts
    <https://arxiv.org/abs/2010.01809>`_ (RIDE, Wang et al., ICLR 2021).
    Takes one pooled feature per expert (a multi-expert backbone such as
    :class:`~mmlt.models.backbones.RIDECifarResNet` with a
    ``GlobalAveragePooling`` neck) and gives each expert its own classifier:
    cosine (RIDE's ``NormedLinear``, :math:`z = s \cos(x, W)`, ``scale`` =
    :math:`s`) or linear. The prediction is the mean of the experts' logits.

    **Training.** A loss with ``multi_expert = True``
    (:class:`~mmlt.models.losses.RIDELoss`) gets all the experts' logits
    ``(E, N, C)``; any other loss (e.g. ``GeometricMeanLoss`` for RIDE +
    GML) is applied to each expert's logits and summed over the experts.

    **Router (RIDE's second stage).** With ``router`` (an
    :class:`ExpertRouter` config without ``in_channels``/``num_experts``)
    and ``train_router=True``, the loss is the router's binary
    cross-entropy only, on the experts' logits and features detached
    (freeze the backbone and ``head.classifiers`` with
    ``DecoupledStageHook``). At inference a head with a router uses, per
    sample, experts ``0..i`` until the router declines the next one, and
    predicts with their mean logits; ``use_router=False`` uses all experts.
    Every predicted data sample gets ``num_experts`` (an int64 scalar
    tensor), the number of experts it used, e.g. for
    ``ExpertUsageMetric``. All experts are computed and the unused ones are
    masked out: the batch stays dense (no host sync, any device); RIDE's
    compute saving is what skipping them would save, see
    ``tools/benchmarks/cost_benchmark.py``.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of each expert's pooled feature.
        num_experts (int): Number of experts. Defaults to 3.
        classifier (str): ``'cosine'`` (RIDE) or ``'linear'`` (with bias;
            e.g. a re-trained GML classifier). Defaults to ``'cosine'``.
        scale (float): :math:`s` of the cosine classifiers; with
            ``RIDELoss`` it must equal the loss's ``s``. Defaults to 30.0.
        loss (dict): The loss. Defaults to ``dict(type='RIDELoss')``.
        router (dict, optional): Config of the :class:`ExpertRouter`.
            Defaults to None (no routing).
        train_router (bool): Train the router instead of the experts.
            Defaults to False.
        use_router (bool): Route at inference when there is a router.
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None
            (cosine: random rows of unit length, as RIDE's NormedLinear;
            linear: normal with std 0.01 and zero bias, as
            ``LinearClsHead``).
        **kwargs: Other arguments of ``ClsHead`` (``topk``, ``cal_acc``).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_experts: int = 3,
                 classifier: str = 'cosine',
                 scale: float = 30.0,
                 loss: dict = dict(type='RIDELoss'),
                 router: Optional[dict] = None,
                 train_router: bool = False,
                 use_router: bool = True,
                 init_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(loss=loss, init_cfg=init_cfg, **kwargs)
        name = type(self).__name__
        check_choice(name, 'classifier', classifier, CLASSIFIERS)
        for arg, value in (('num_classes', num_classes),
                           ('in_channels', in_channels), ('num_experts',
                                                          num_experts)):
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name}: `{arg}` must be a positive int, '
                                 f'got {value!r}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_experts = num_experts
        self.classifier = classifier
        self.scale = check_number(name, 'scale', scale, 0, low_inclusive=False)
        loss_scale = getattr(self.loss_module, 's', None)
        if (getattr(self.loss_module, 'multi_expert', False)
                and classifier == 'cosine' and loss_scale != self.scale):
            raise ValueError(
                f'{name}: the loss {type(self.loss_module).__name__} scales '
                f'its margins by s={loss_scale} but the head scales the '
                f'cosines by scale={self.scale}; set them equal.')
        self.classifiers = nn.ModuleList(
            nn.Linear(in_channels, num_classes, bias=classifier == 'linear')
            for _ in range(num_experts))
        if router is not None:
            router = dict(router)
            router.pop('type', None)
            router = ExpertRouter(
                in_channels=in_channels, num_experts=num_experts, **router)
        elif train_router:
            raise ValueError(f'{name}: `train_router=True` needs a `router` '
                             f'config.')
        self.router = router
        self.train_router = train_router
        self.use_router = use_router

    def init_weights(self) -> None:
        """Initialise the classifiers (see ``init_cfg``)."""
        if self.init_cfg is None and not self.is_init:
            with torch.no_grad():
                for fc in self.classifiers:
                    if self.classifier == 'cosine':
                        weight = fc.weight.uniform_(-1., 1.)
                        weight.div_(
                            torch.linalg.vector_norm(
                                weight, dim=1, keepdim=True))
                    else:
                        fc.weight.normal_(0., 0.01)
                        fc.bias.zero_()
        super().init_weights()

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> Tuple:
        """The experts' pooled features, one ``(N, D)`` tensor each."""
        if len(feats) != self.num_experts:
            raise ValueError(
                f'{type(self).__name__}: got {len(feats)} feature tensors '
                f'for {self.num_experts} experts; use a multi-expert '
                f'backbone (RIDECifarResNet, RIDEResNet) with the same '
                f'num_experts and a GlobalAveragePooling neck.')
        return tuple(feats)

    def expert_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """Every expert's logits, ``(E, N, C)``."""
        feats = self.pre_logits(feats)
        if self.classifier == 'cosine':
            logits = [
                self.scale * cosine_logits(x, fc.weight)
                for x, fc in zip(feats, self.classifiers)
            ]
        else:
            logits = [fc(x) for x, fc in zip(feats, self.classifiers)]
        return torch.stack(logits)

    def routed(self, feats: Sequence[torch.Tensor]
               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The prediction logits ``(N, C)`` and the experts used ``(E, N)``
        (all of them without a router or with ``use_router=False``)."""
        feats = self.pre_logits(feats)
        logits = self.expert_logits(feats)
        if self.router is None or not self.use_router:
            used = logits.new_ones(logits.shape[:2], dtype=torch.bool)
            return logits.mean(0), used
        used = self.router.route(self.router(feats, logits))
        return routed_logits(logits, used), used

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The prediction logits ``(N, C)``."""
        return self.routed(feats)[0]

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: List[DataSample], **kwargs) -> dict:
        """The experts' loss, or the router's with ``train_router=True``."""
        name = type(self).__name__
        if 'gt_score' in data_samples[0]:
            raise ValueError(f'{name}: needs hard labels (RIDE\'s losses and '
                             f'router targets are per class index); remove '
                             f'batch augmentations such as Mixup/CutMix.')
        label = torch.cat([i.gt_label for i in data_samples])
        feats = self.pre_logits(feats)
        if self.train_router:
            # The experts are fixed in this stage: no gradient to them.
            feats = tuple(x.detach() for x in feats)
            logits = self.expert_logits(feats).detach()
            help_logits = self.router(feats, logits)
            return dict(
                loss=self.router.loss(help_logits, router_targets(
                    logits, label)))
        logits = self.expert_logits(feats)
        if getattr(self.loss_module, 'multi_expert', False):
            loss = self.loss_module(logits, label, **kwargs)
        else:
            loss = sum(
                self.loss_module(z, label, avg_factor=z.size(0), **kwargs)
                for z in logits)
        return dict(loss=loss)

    def predict(
        self,
        feats: Sequence[torch.Tensor],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict with the routed experts; each data sample also gets
        ``num_experts``."""
        logits, used = self.routed(feats)
        predictions = self._get_predictions(logits, data_samples)
        for sample, count in zip(predictions, used.sum(0)):
            sample.set_field(count, 'num_experts', dtype=torch.Tensor)
        return predictions
