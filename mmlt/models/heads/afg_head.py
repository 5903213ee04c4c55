# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmpretrain.evaluation import Accuracy
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from ..losses.distillation_loss import kl_distillation
from ..losses.utils import check_choice, check_number, set_buffer
from ..utils.feature_calibration import (COVARIANCE_TYPES, SUPPORT_WEIGHTINGS,
                                         check_confidence,
                                         finalize_class_stats,
                                         inverse_tukey_transform,
                                         sample_calibrated,
                                         sample_class_gaussian, support_set,
                                         support_weights, tukey_transform)
from ..utils.feature_calibration import \
    choose_covariance_type as _choose_covariance_type


def afg_tail_mask(counts: torch.Tensor, tail_max_count: int,
                  k: int) -> torch.Tensor:
    """Which classes AFG calibrates from a support set (the tail classes).

    A class is a tail class if it has at most ``tail_max_count`` training
    samples and at least ``k`` classes with more samples. The second rule
    concerns only the head-most classes (the largest class has no richer
    class): they cannot have a support set of k richer classes, so they are
    head classes, sampled from their own statistics.

    Args:
        counts (torch.Tensor): Training counts ``(C, )``.
        tail_max_count (int): The largest count of a tail class.
        k (int): The support size.

    Returns:
        torch.Tensor: ``(C, )`` bool.
    """
    counts = torch.as_tensor(counts)
    richer = (counts[None, :] > counts[:, None]).sum(1)
    return (counts <= tail_max_count) & (richer >= k)


@MODELS.register_module()
class AdaptiveFeatureGeneratorHead(ClassCountsMixin, LinearClsHead):
    r"""The linear classifier of GLAG's stage two, trained with generated
    features (the Adaptive Feature Generator) and head-class distillation.

    `Long-Tailed Classification with Gradual Balanced Loss and Adaptive
    Feature Generation <https://arxiv.org/abs/2203.00452>`_ (Zhang & Xiang,
    2022). With the backbone frozen (``DecoupledStageHook``),
    ``ClassFeatureStatsHook`` hands this head the Tukey-transformed class
    statistics of the training set (:meth:`set_feature_stats`) and a copy of
    the stage-one classifier as the distillation teacher
    (:meth:`init_teacher`). In every training batch it then

    1. draws ``generated_ratio`` × batch size classes with probability
       proportional to their gap :math:`n_{max} - n_c` to the largest class
       (so real plus generated samples approach a balanced set);
    2. for a tail class (:func:`afg_tail_mask`) picks one of its stored
       training features and draws from that feature's calibrated Gaussian
       (support set of the ``k`` nearest richer classes, confidence
       :math:`\lambda_c`, dispersion ``alpha``;
       :mod:`mmlt.models.utils.feature_calibration`); for a head class draws
       from the class's own Gaussian;
    3. maps the draws back with the inverse Tukey transform (so the
       classifier and the teacher keep seeing the backbone's feature space,
       and testing is unchanged), clips them at 0 (``nonnegative``) and
       appends them to the real features;
    4. computes the classification loss on all features, plus
       ``kd_weight`` × the distillation loss (:func:`kl_distillation` with
       temperature ``kd_temperature``) on the features, real or generated,
       of head classes only: :math:`L = L_{CE} + w_{kd}(t) L_{KD}`.
       ``GradualScheduleHook`` can raise ``kd_weight`` from 0 with GLAG's
       schedule.

    Prediction is that of ``LinearClsHead``. Stored in the checkpoint (as
    buffers): the class statistics, the anchors and their support sets, the
    teacher, the confidences :math:`\lambda_c` (updated by
    ``AdaptiveConfidenceHook``) and the previous validation accuracies.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Feature dimension d.
        k (int): Support-set size (the paper: 2 or 3). Defaults to 2.
        tail_max_count (int): Classes with at most this many training samples
            are tail classes. Defaults to 100 (the usual many-shot bound).
        confidence (float): Initial :math:`\lambda_c` in [0, 1] (the paper:
            0.6, and 0.4 in its ablation). Defaults to 0.6.
        alpha (float): Covariance dispersion :math:`\alpha \ge 0` (the
            paper: 0.0 or 0.1). Defaults to 0.0.
        beta (float): Tukey power (0: log). Defaults to 0.5.
        covariance_type (str): ``'full'``, ``'lowrank'``, ``'diagonal'`` or
            ``'auto'`` (:func:`choose_covariance_type` within
            ``memory_limit_gb``). Defaults to ``'auto'``.
        rank (int): Rank of ``'lowrank'``. Defaults to 64.
        memory_limit_gb (float): Budget of ``'auto'`` in GiB. Defaults to
            2.0.
        support_weighting (str): ``'count_distance'`` or ``'uniform'`` (see
            :func:`support_weights`). Defaults to ``'count_distance'``.
        generated_ratio (float | str): Generated features per real feature
            in a batch, or ``'balance'``: :math:`\sum_c (n_{max} - n_c) /
            \sum_c n_c`, which fills every class up to the largest over an
            epoch. 0 disables generation. Defaults to 1.0.
        max_anchors_per_class (int): Training features kept per tail class
            as calibration anchors. Defaults to 64.
        kd_weight (float): The distillation weight :math:`w_{kd} \ge 0`;
            0 disables distillation. Defaults to 1.0.
        kd_temperature (float): Distillation temperature. Defaults to 2.0.
        jitter (float): Relative Cholesky jitter. Defaults to 1e-6.
        nonnegative (bool): Clip generated features at 0, the range of the
            pooled post-ReLU features of ResNets. Defaults to True.
        class_counts (Sequence[int], optional): Training counts. Defaults to
            None (set by ``ClassCountsHook``).
        **kwargs: Other arguments of ``LinearClsHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 k: int = 2,
                 tail_max_count: int = 100,
                 confidence: float = 0.6,
                 alpha: float = 0.0,
                 beta: float = 0.5,
                 covariance_type: str = 'auto',
                 rank: int = 64,
                 memory_limit_gb: float = 2.0,
                 support_weighting: str = 'count_distance',
                 generated_ratio: Union[float, str] = 1.0,
                 max_anchors_per_class: int = 64,
                 kd_weight: float = 1.0,
                 kd_temperature: float = 2.0,
                 jitter: float = 1e-6,
                 nonnegative: bool = True,
                 class_counts: Optional[CountsLike] = None,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        name = type(self).__name__
        for arg, value in (('k', k), ('tail_max_count', tail_max_count),
                           ('rank', rank), ('max_anchors_per_class',
                                            max_anchors_per_class)):
            if isinstance(value, bool) or not isinstance(value,
                                                         int) or value < 1:
                raise ValueError(f'{name}: `{arg}` must be an int >= 1, got '
                                 f'{value!r}.')
        check_confidence(name, confidence)
        self.alpha = check_number(name, 'alpha', alpha, low=0)
        self.beta = check_number(name, 'beta', beta, low=0)
        check_number(name, 'memory_limit_gb', memory_limit_gb, low=0,
                     low_inclusive=False)
        check_choice(name, 'support_weighting', support_weighting,
                     SUPPORT_WEIGHTINGS)
        if generated_ratio != 'balance':
            check_number(name, 'generated_ratio', generated_ratio, low=0)
        check_choice(name, 'covariance_type', covariance_type,
                     ('auto', ) + COVARIANCE_TYPES)
        if covariance_type == 'auto':
            covariance_type = _choose_covariance_type(
                num_classes, in_channels, rank, memory_limit_gb * 1024**3)
        self.k = k
        self.tail_max_count = tail_max_count
        self.covariance_type = covariance_type
        self.support_weighting = support_weighting
        self.generated_ratio = generated_ratio
        self.kd_weight = kd_weight
        #: The final weight, for ``GradualScheduleHook(attr='kd_weight')``.
        self.kd_weight_final = self.kd_weight
        self.kd_temperature = check_number(
            name, 'kd_temperature', kd_temperature, low=0, low_inclusive=False)
        self.jitter = jitter
        self.nonnegative = bool(nonnegative)

        C, d, A = num_classes, in_channels, max_anchors_per_class
        r = dict(full=d, lowrank=rank, diagonal=0)[covariance_type]
        # Fixed shapes, so the statistics load from checkpoints as buffers.
        self.register_buffer('feature_count', torch.zeros(C))
        self.register_buffer('feature_mean', torch.zeros(C, d))
        self.register_buffer('feature_root', torch.zeros(C, d, r))
        self.register_buffer('feature_diag', torch.zeros(C, d))
        self.register_buffer('anchors', torch.zeros(C, A, d))
        self.register_buffer('anchor_count', torch.zeros(C, dtype=torch.long))
        self.register_buffer('support_index',
                             torch.zeros(C, A, k, dtype=torch.long))
        self.register_buffer('support_weight', torch.zeros(C, A, k))
        self.register_buffer('confidence', torch.full((C, ),
                                                      float(confidence)))
        self.register_buffer('prev_class_acc', torch.full((C, ), math.nan))
        # The epoch of the validation behind prev_class_acc (-1: none).
        self.register_buffer('confidence_epoch',
                             torch.full((), -1, dtype=torch.long))
        self.register_buffer('teacher_weight', torch.zeros(C, d))
        self.register_buffer('teacher_bias', torch.zeros(C))
        self.register_buffer('teacher_ready', torch.zeros((), dtype=torch.bool))
        if covariance_type == 'lowrank':
            # Ω: fixed by a seed, so every rank (and a resumed run) agrees.
            gen = torch.Generator().manual_seed(0)
            self.register_buffer('sketch',
                                 torch.randn(d, rank, generator=gen))
        else:
            self.sketch = None
        self.init_class_counts(class_counts, num_classes)

    @property
    def kd_weight(self) -> float:
        """float: The distillation weight; set by a schedule hook."""
        return self._kd_weight

    @kd_weight.setter
    def kd_weight(self, value: float) -> None:
        self._kd_weight = check_number(type(self).__name__, 'kd_weight', value,
                                       low=0)

    @property
    def stats_ready(self) -> bool:
        """bool: Whether the class statistics were set (or loaded)."""
        return bool(self.feature_count.sum() > 0)

    def class_counts_changed(self) -> None:
        # The tail classes and the 'balance' ratio follow from the counts
        # alone: computed once here, not at every step (the mask compares
        # every pair of classes).
        counts = self.get_class_counts(dtype=torch.long)
        set_buffer(self, 'tail_classes',
                   afg_tail_mask(counts, self.tail_max_count, self.k))
        counts = counts.double()
        self._balance_ratio = float(
            (counts.max() - counts).sum() / counts.sum())

    def tail_mask(self) -> torch.Tensor:
        """``(C, )`` bool: the tail classes (:func:`afg_tail_mask`)."""
        if getattr(self, 'tail_classes', None) is None:
            self.get_class_counts()  # raises: no counts were set
        if self.tail_classes.device != self.feature_mean.device:
            set_buffer(self, 'tail_classes', self.tail_classes)
        return self.tail_classes

    # ------------------------------------------------------------------
    # Set-up by ClassFeatureStatsHook.
    def transform(self, feats: torch.Tensor) -> torch.Tensor:
        """Tukey-transform backbone features (see :func:`tukey_transform`)."""
        return tukey_transform(feats, self.beta)

    def set_feature_stats(self, moments: Dict[str, torch.Tensor],
                          anchors: torch.Tensor,
                          anchor_count: torch.Tensor) -> None:
        """Set statistics, anchors and support sets from summed moments.

        Args:
            moments (dict): :func:`class_moments` summed over the training
                set (and ranks) of Tukey-transformed features.
            anchors (torch.Tensor): ``(C, A, d)`` transformed training
                features per class (only tail classes are used).
            anchor_count (torch.Tensor): ``(C, )`` valid anchors per class.
        """
        mean, root, diag = finalize_class_stats(moments, self.covariance_type,
                                                self.sketch, self.jitter)
        for name, value in (('feature_mean', mean), ('feature_root', root),
                            ('feature_diag', diag), ('feature_count',
                                                     moments['count'])):
            buf = getattr(self, name)
            buf.copy_(value.to(buf))
        if not torch.isfinite(self.feature_root).all() or not torch.isfinite(
                self.feature_mean).all():
            raise FloatingPointError(
                f'{type(self).__name__}: non-finite class statistics; check '
                f'the backbone features for inf/NaN.')
        self.anchors.copy_(anchors.to(self.anchors))
        self.anchor_count.copy_(anchor_count.to(self.anchor_count))
        self._set_support_sets()

    def _set_support_sets(self) -> None:
        counts = self.get_class_counts(self.feature_mean.device, torch.long)
        for c in self.tail_mask().nonzero().flatten().tolist():
            num = int(self.anchor_count[c])
            if num == 0:
                continue
            feats = self.anchors[c, :num]
            labels = torch.full((num, ), c, device=feats.device)
            index, dist = support_set(feats, labels, self.feature_mean,
                                      counts, self.k)
            self.support_index[c, :num] = index
            self.support_weight[c, :num] = support_weights(
                dist, counts[index], self.support_weighting).to(
                    self.support_weight)

    @torch.no_grad()
    def init_teacher(self) -> None:
        """Copy the current (stage-one) classifier into the frozen teacher.

        Does nothing once done (e.g. after resume, when the teacher came with
        the checkpoint).
        """
        if bool(self.teacher_ready):
            return
        self.teacher_weight.copy_(self.fc.weight)
        self.teacher_bias.copy_(self.fc.bias)
        self.teacher_ready.fill_(True)

    def set_confidence(self, confidence: torch.Tensor) -> None:
        """Set :math:`\\lambda` (one value per class, each in [0, 1])."""
        value = check_confidence(type(self).__name__, confidence)
        self.confidence.copy_(value.to(self.confidence).expand_as(
            self.confidence))

    # ------------------------------------------------------------------
    # Generation and loss.
    def num_generated(self, batch_size: int) -> int:
        """Generated features per batch of ``batch_size`` real ones."""
        ratio = self.generated_ratio
        if ratio == 'balance':
            self.tail_mask()  # raises if no counts were set
            ratio = self._balance_ratio
        return int(round(ratio * batch_size))

    def generate(self,
                 num: int,
                 generator: Optional[torch.Generator] = None
                 ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Draw ``num`` features, classes in proportion to their gap.

        Args:
            num (int): How many.
            generator (torch.Generator, optional): Random generator.

        Returns:
            tuple[torch.Tensor]: Features ``(num, d)`` in the backbone's
            space (inverse Tukey) and labels ``(num, )``.
        """
        if not self.stats_ready:
            raise RuntimeError(
                f'{type(self).__name__}: no class feature statistics; add '
                f'`dict(type="ClassFeatureStatsHook")` to custom_hooks.')
        device = self.feature_mean.device
        counts = self.get_class_counts(device, torch.float64)
        gap = counts.max() - counts
        if num == 0 or not bool((gap > 0).any()):
            d = self.feature_mean.size(1)
            return (self.feature_mean.new_zeros(0, d),
                    torch.zeros(0, dtype=torch.long, device=device))
        labels = torch.multinomial(
            gap / gap.sum(), num, replacement=True, generator=generator)
        tail = self.tail_mask()[labels] & (self.anchor_count[labels] > 0)
        out = self.feature_mean.new_empty(num, self.feature_mean.size(1))
        head_idx = (~tail).nonzero().flatten()
        if head_idx.numel():
            out[head_idx] = sample_class_gaussian(
                labels[head_idx], self.feature_mean, self.feature_root,
                self.feature_diag, generator).to(out)
        tail_idx = tail.nonzero().flatten()
        if tail_idx.numel():
            cls = labels[tail_idx]
            num_anchors = self.anchor_count[cls]
            pick = (torch.rand(cls.shape, generator=generator, device=device)
                    * num_anchors).long().minimum(num_anchors - 1)
            out[tail_idx] = sample_calibrated(
                self.anchors[cls, pick], self.support_index[cls, pick],
                self.support_weight[cls, pick], self.confidence[cls],
                self.feature_mean, self.feature_root, self.feature_diag,
                self.alpha, generator).to(out)
        out = inverse_tukey_transform(out, self.beta)
        if self.nonnegative:
            # Pooled post-ReLU features are >= 0; a Gaussian tail is not.
            out = out.clamp_min(0)
        return out, labels

    def teacher_logits(self, feats: torch.Tensor) -> torch.Tensor:
        """The stage-one classifier's logits ``(N, C)``."""
        return torch.nn.functional.linear(feats, self.teacher_weight,
                                          self.teacher_bias)

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> dict:
        """Loss on real plus generated features, with head-class KD.

        Args:
            feats (tuple[torch.Tensor]): Features of the neck or backbone.
            data_samples (list[DataSample]): With ``gt_label``.

        Returns:
            dict: ``loss``, ``loss_kd`` (when distilling) and accuracies.
        """
        real = self.pre_logits(feats)
        target = torch.cat([s.gt_label for s in data_samples]).to(real.device)
        if real.dim() != 2 or 'gt_score' in data_samples[0]:
            raise ValueError(
                f'{type(self).__name__} needs pooled (N, d) features and hard '
                f'labels (no mixup/cutmix batch augmentation).')
        x, y = real, target
        if self.training:
            num = self.num_generated(real.size(0))
            if num > 0:
                gen_x, gen_y = self.generate(num)
                x = torch.cat([real, gen_x.to(real).detach()])
                y = torch.cat([target, gen_y])
        logits = self.fc(x)
        losses = dict(
            loss=self.loss_module(
                logits, y, avg_factor=logits.size(0), **kwargs))
        if self.kd_weight > 0:
            if not bool(self.teacher_ready):
                raise RuntimeError(
                    f'{type(self).__name__}: kd_weight > 0 but no teacher; '
                    f'ClassFeatureStatsHook copies the stage-one classifier '
                    f'at the start of training.')
            head = ~self.tail_mask()[y]
            per_sample = kl_distillation(logits, self.teacher_logits(x),
                                         self.kd_temperature)
            # Mean over the head-class samples; tail samples get no KD.
            kd = (per_sample * head).sum() / head.sum().clamp_min(1)
            losses['loss_kd'] = self.kd_weight * kd
        if self.cal_acc:
            acc = Accuracy.calculate(logits[:real.size(0)], target,
                                     topk=self.topk)
            losses.update(
                {f'accuracy_top-{k}': a
                 for k, a in zip(self.topk, acc)})
        return losses
