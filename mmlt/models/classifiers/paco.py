# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import List, Sequence

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from mmlt.models.losses.utils import check_number
from mmlt.models.utils.key_queue import (concat_all_gather, enqueue,
                                         gather_with_grad, momentum_update)

VIEWS_HINT = ("PaCo trains on two views of every image: build the training "
              "pipeline with dict(type='MultiView', num_views=[1, 1], "
              "transforms=[query_view, key_view]) before PackInputs, and "
              "use data_preprocessor=dict(type='MultiViewClsDataPreprocessor'"
              ", ...)")


def _rank() -> int:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


@MODELS.register_module()
class PaCo(ImageClassifier):
    r"""Parametric Contrastive Learning (Cui et al., ICCV 2021).

    `Parametric Contrastive Learning <https://arxiv.org/abs/2107.12028>`_: a
    supervised MoCo whose contrast also holds learnable class centres. The
    query encoder is ``backbone`` + ``neck`` + ``projector`` (a two-layer
    MLP, MoCo v2's), the centres are the weights of the ``head``'s linear
    classifier applied to the pooled feature; the key encoder is a momentum
    copy of backbone, neck and projector. Every training step:

    1. the query view gives :math:`q` (normalised projection) and the
       centre logits :math:`c^\top f` (the head);
    2. the key encoder moves to :math:`m\,\theta_k + (1-m)\,\theta_q` and
       encodes the key view (normalised);
    3. :class:`~mmlt.models.losses.PaCoLoss` contrasts :math:`q` with the
       centres, the queries, the keys and the queue (the queue before this
       step's keys enter it);
    4. the keys of all ranks, gathered in rank order, with their labels,
       replace the oldest entries of the queue.

    It predicts with the head's raw logits (the centre branch was trained
    logit-adjusted, so these are balanced), as the authors' code.

    The key encoder (parameters and BN statistics) and the queue with its
    labels and pointer are in the state dict: checkpoints resume exactly.
    The queue starts as random unit keys with random labels, as in the
    authors' code.

    Under DDP the in-batch contrast set is, by default, the queries and keys
    of all ranks (``gather_contrast=True``; the queries keep their
    gradient), so the loss does not depend on how the batch is split over
    devices; ``gather_contrast=False`` contrasts the local queries and keys
    only, as the authors' code (per-GPU). Either way the queue receives the
    keys of every rank. BatchNorm statistics stay per device.

    Args:
        backbone (dict): The backbone config.
        neck (dict): The neck config (global average pooling).
        head (dict): The classification head; its ``fc`` holds the class
            centres, its ``in_channels`` is the pooled feature's width.
        paco_loss (dict): The :class:`~mmlt.models.losses.PaCoLoss` config.
        proj_channels (int): Width of the contrastive embedding
            (``moco-dim``). Defaults to 128.
        queue_size (int): Keys in the queue (``moco-k``). Defaults to 8192.
        momentum (float): Momentum of the key encoder (``moco-m``).
            Defaults to 0.999.
        gather_contrast (bool): Contrast with the queries and keys of all
            ranks. Defaults to True.
        **kwargs: The other arguments of :class:`ImageClassifier`.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 paco_loss: dict,
                 proj_channels: int = 128,
                 queue_size: int = 8192,
                 momentum: float = 0.999,
                 gather_contrast: bool = True,
                 **kwargs):
        super().__init__(backbone=backbone, neck=neck, head=head, **kwargs)
        name = type(self).__name__
        if not hasattr(self.head, 'fc') or not hasattr(self.head,
                                                       'num_classes'):
            raise ValueError(f'{name}: the head must be a linear '
                             f'classification head (e.g. LinearClsHead): its '
                             f'fc holds the class centres.')
        if not (isinstance(queue_size, int) and queue_size > 0):
            raise ValueError(f'{name}: queue_size must be a positive int, '
                             f'got {queue_size!r}.')
        self.momentum = check_number(name, 'momentum', momentum, 0, 1)
        self.gather_contrast = bool(gather_contrast)
        feat = self.head.fc.in_features
        num_classes = self.head.num_classes
        self.paco_loss = MODELS.build(paco_loss)
        self.projector = nn.Sequential(
            nn.Linear(feat, feat), nn.ReLU(inplace=True),
            nn.Linear(feat, proj_channels))
        self.key_encoder = nn.ModuleDict(
            dict(
                backbone=copy.deepcopy(self.backbone),
                neck=copy.deepcopy(self.neck),
                projector=copy.deepcopy(self.projector)))
        for param in self.key_encoder.parameters():
            param.requires_grad_(False)
        self.register_buffer(
            'queue',
            F.normalize(torch.randn(queue_size, proj_channels), dim=1))
        self.register_buffer('queue_labels',
                             torch.randint(0, num_classes, (queue_size, )))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """As :class:`ImageClassifier`; outside training a two-view batch
        is read by its first (query) view."""
        if mode != 'loss' and isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        return super().forward(inputs, data_samples, mode)

    def _query_modules(self) -> List[nn.Module]:
        return [self.backbone, self.neck, self.projector]

    def _key_modules(self) -> List[nn.Module]:
        return [self.key_encoder[k] for k in ('backbone', 'neck', 'projector')]

    def init_weights(self) -> None:
        """Initialise the query encoder, then copy it into the key encoder
        (MoCo starts with equal encoders)."""
        super().init_weights()
        with torch.no_grad():
            for key, query in zip(self._key_modules(), self._query_modules()):
                key.load_state_dict(query.state_dict())

    def _key_params(self):
        return [p for m in self._key_modules() for p in m.parameters()]

    def _query_params(self):
        return [p for m in self._query_modules() for p in m.parameters()]

    def project(self, pooled: torch.Tensor,
                projector: nn.Module) -> torch.Tensor:
        """The L2-normalised contrastive embedding of pooled features."""
        return F.normalize(projector(pooled).float(), dim=1)

    @torch.no_grad()
    def encode_keys(self, inputs: torch.Tensor) -> torch.Tensor:
        """Momentum-update the key encoder and embed the key view."""
        momentum_update(self._key_params(), self._query_params(),
                        self.momentum)
        enc = self.key_encoder
        pooled = enc['neck'](enc['backbone'](inputs))[-1]
        return self.project(pooled, enc['projector'])

    def loss(self, inputs: Sequence[torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """The PaCo loss of a batch of two views; updates the key encoder
        and the queue.

        Args:
            inputs (Sequence[torch.Tensor]): The query and key views, each
                ``(N, C, H, W)``.
            data_samples (List[DataSample]): Their labels.

        Returns:
            dict: ``loss``.
        """
        if not (isinstance(inputs, (list, tuple)) and len(inputs) == 2):
            raise ValueError(f'{type(self).__name__}: expected two views '
                             f'(query, key), got '
                             f'{type(inputs).__name__}. {VIEWS_HINT}.')
        im_q, im_k = inputs
        labels = torch.cat([s.gt_label for s in data_samples]).to(
            im_q.device, non_blocking=True)
        feats = self.extract_feat(im_q)
        centre_logits = self.head(feats)
        query = self.project(feats[-1], self.projector)
        keys = self.encode_keys(im_k)
        all_keys, all_labels = concat_all_gather(keys), concat_all_gather(
            labels)
        if self.gather_contrast:
            # The global batch: the same loss however it is split.
            queries, query_labels = gather_with_grad(query), all_labels
            keys, key_labels = all_keys, all_labels
            offset = _rank() * query.size(0)
        else:  # the authors' per-device contrast
            queries, query_labels, key_labels, offset = query, labels, \
                labels, 0
        contrast = torch.cat([queries, keys, self.queue.to(query.dtype)])
        contrast_labels = torch.cat(
            [query_labels, key_labels, self.queue_labels])
        loss = self.paco_loss(query, labels, contrast, contrast_labels,
                              centre_logits, offset)
        # After the contrast set is built: the queue it held is the one
        # before this step, this step's keys are in it once.
        enqueue(self.queue, self.queue_labels, self.queue_ptr, all_keys,
                all_labels)
        return dict(loss=loss)
