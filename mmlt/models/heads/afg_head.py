# Copyright (c) mmlt contributors. All rights reserved.
import math
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmpretrain.evaluation import Accuracy
from mmpretrain.models.heads import LinearClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from mmlt.utils.rank_random import rank_generator
from ..losses.distillation_loss import kl_distillation
from ..losses.runtime_checks import has_data
from ..losses.utils import check_choice, check_number, set_buffer
from ..utils.feature_calibration import (COVARIANCE_TYPES, MEAN_TRANSFERS,
                                         SUPPORT_WEIGHTINGS, anchor_capacity,
                                         check_confidence, check_support_size)
from ..utils.feature_calibration import \
    choose_covariance_type as _choose_covariance_type
from ..utils.feature_calibration import (finalize_class_stats,
                                         inverse_tukey_transform, pick_anchors,
                                         sample_class_gaussian,
                                         sample_generated,
                                         stage_two_memory_bytes,
                                         support_weights, tukey_transform)


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
       training features (all of them by default) and draws from that
       feature's calibrated Gaussian (support set of the ``k`` nearest
       richer classes, confidence :math:`\lambda_c`, dispersion ``alpha``,
       ``mean_transfer`` and ``support_weighting``;
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
    buffers): the teacher, the confidences :math:`\lambda_c` (updated by
    ``AdaptiveConfidenceHook``), the previous validation accuracies, the
    random stream's base seed and draw counter, and a fingerprint of the
    statistics (per-class counts, anchor counts and the sums of the class
    means, :math:`3C` numbers).

    **Not in the checkpoint: the class statistics and the anchors** (means,
    covariance factors, anchors and their support sets; 2.3 GB plus
    :math:`4d + 12k` bytes per anchor at iNaturalist 2018 with rank 32).
    They are a function of the frozen stage-one features and the training
    set, so ``ClassFeatureStatsHook`` recomputes them (one forward pass
    over the training set, under a fixed random state) when a run starts or
    resumes, and checks them against the fingerprint; testing and inference
    use only the classifier.

    **Per-rank randomness.** mmengine seeds every rank alike (the samplers
    need it), so the draws use their own stream,
    :func:`mmlt.utils.rank_generator` of the base seed
    (``torch.initial_seed()`` when the head is built), the rank and the
    number of draws made so far:
    every rank generates different features, and a resumed run (the seed and
    counter come with the checkpoint) draws what the uninterrupted one would.

    **Anchors.** GLAG calibrates each tail sample, so every tail training
    feature is an anchor unless ``max_anchors_per_class`` caps them or
    they do not fit ``memory_limit_gb`` after the class statistics
    (:func:`anchor_capacity`); ``ClassFeatureStatsHook`` logs which applies.

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
        memory_limit_gb (float): Memory budget in GiB of the statistics at
            their peak (:func:`stage_two_memory_bytes`), which picks
            ``'auto'``, and of the anchors, which get half of the rest.
            Defaults to 2.0.
        support_weighting (str): One of ``'count_distance'`` (the paper's
            reading, :math:`n_i / d_i`), ``'sqrt_count_distance'``,
            ``'log_count_distance'``, ``'distance'``, ``'uniform'`` (see
            :func:`support_weights`). Defaults to ``DEFAULT_WEIGHTING``.
        mean_transfer (str): ``'interpolate'`` (the paper's reading),
            ``'average'`` (Yang et al., ICLR 2021) or ``'covariance_only'``
            (see :func:`calibrated_mean`). Defaults to
            ``DEFAULT_MEAN_TRANSFER``.
        generated_ratio (float | str): Generated features per real feature
            in a batch, or ``'balance'``: :math:`\sum_c (n_{max} - n_c) /
            \sum_c n_c`, which fills every class up to the largest over an
            epoch. 0 disables generation. Defaults to 1.0.
        max_anchors_per_class (int, optional): At most this many training
            features per tail class are calibration anchors. Defaults to
            None (all, within ``memory_limit_gb``).
        finalize_chunk (int): Classes whose statistics are finalised at a
            time (bounds the float64 temporaries). Defaults to 64.
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
                 support_weighting: Optional[str] = None,
                 mean_transfer: Optional[str] = None,
                 generated_ratio: Union[float, str] = 1.0,
                 max_anchors_per_class: Optional[int] = None,
                 finalize_chunk: int = 64,
                 kd_weight: float = 1.0,
                 kd_temperature: float = 2.0,
                 jitter: float = 1e-6,
                 nonnegative: bool = True,
                 class_counts: Optional[CountsLike] = None,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        name = type(self).__name__
        int_args = [('k', k), ('tail_max_count', tail_max_count),
                    ('rank', rank), ('finalize_chunk', finalize_chunk)]
        if max_anchors_per_class is not None:
            int_args.append(('max_anchors_per_class', max_anchors_per_class))
        for arg, value in int_args:
            if isinstance(value,
                          bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f'{name}: `{arg}` must be an int >= 1, got '
                                 f'{value!r}.')
        check_confidence(name, confidence)
        self.alpha = check_number(name, 'alpha', alpha, low=0)
        self.beta = check_number(name, 'beta', beta, low=0)
        check_number(
            name,
            'memory_limit_gb',
            memory_limit_gb,
            low=0,
            low_inclusive=False)
        if support_weighting is None:
            support_weighting = self.DEFAULT_WEIGHTING
        if mean_transfer is None:
            mean_transfer = self.DEFAULT_MEAN_TRANSFER
        check_choice(name, 'support_weighting', support_weighting,
                     SUPPORT_WEIGHTINGS)
        check_choice(name, 'mean_transfer', mean_transfer, MEAN_TRANSFERS)
        if generated_ratio != 'balance':
            check_number(name, 'generated_ratio', generated_ratio, low=0)
        check_choice(name, 'covariance_type', covariance_type,
                     ('auto', ) + COVARIANCE_TYPES)
        if covariance_type == 'auto':
            covariance_type = _choose_covariance_type(
                num_classes, in_channels, rank, memory_limit_gb * 1024**3,
                finalize_chunk)
        self.k = k
        self.tail_max_count = tail_max_count
        self.covariance_type = covariance_type
        self.rank = rank
        self.memory_limit_bytes = memory_limit_gb * 1024**3
        self.finalize_chunk = finalize_chunk
        self.max_anchors_per_class = max_anchors_per_class
        self.support_weighting = support_weighting
        self.mean_transfer = mean_transfer
        self.generated_ratio = generated_ratio
        self.kd_weight = kd_weight
        #: The final weight, for ``GradualScheduleHook(attr='kd_weight')``.
        self.kd_weight_final = self.kd_weight
        self.kd_temperature = check_number(
            name, 'kd_temperature', kd_temperature, low=0, low_inclusive=False)
        self.jitter = jitter
        self.nonnegative = bool(nonnegative)

        C, d = num_classes, in_channels
        r = dict(full=d, lowrank=rank, diagonal=0)[covariance_type]
        # The statistics and anchors are recomputed by ClassFeatureStatsHook
        # on every start or resume (reproducible from the frozen features),
        # so they stay out of the checkpoint: GBs at iNaturalist scale.
        # Their fingerprint (counts and the sums of the class means) is kept,
        # to check the recomputation against.
        self.register_buffer('feature_count', torch.zeros(C))
        self.register_buffer('anchor_count', torch.zeros(C, dtype=torch.long))
        self.register_buffer('feature_checksum', torch.zeros(C))
        for name, shape in (('feature_mean',
                             (C, d)), ('feature_root',
                                       (C, d, r)), ('feature_diag', (C, d)),
                            ('anchors', (0, d)), ('support_weight', (0, k))):
            self.register_buffer(name, torch.zeros(shape), persistent=False)
        # Anchors of all tail classes, class after class (anchor_count per
        # class, first rows anchor_offset): (M, d), M known once the counts
        # are.
        self.register_buffer(
            'support_index',
            torch.zeros(0, k, dtype=torch.long),
            persistent=False)
        self.register_buffer(
            'anchor_offset',
            torch.zeros(C, dtype=torch.long),
            persistent=False)
        # Host-side state set once (statistics finalised, teacher copied,
        # checkpoint loaded), so that no training step reads the device.
        self._stats_ready = False
        self._teacher_ready = False
        self._loaded_fingerprint = False
        self._has_gap = True
        self.register_buffer('confidence', torch.full((C, ),
                                                      float(confidence)))
        self.register_buffer('prev_class_acc', torch.full((C, ), math.nan))
        # The epoch of the validation behind prev_class_acc (-1: none).
        self.register_buffer('confidence_epoch',
                             torch.full((), -1, dtype=torch.long))
        self.register_buffer('teacher_weight', torch.zeros(C, d))
        self.register_buffer('teacher_bias', torch.zeros(C))
        self.register_buffer('teacher_ready', torch.zeros((),
                                                          dtype=torch.bool))
        # The random stream: base seed and draw counter, kept as Python ints
        # (no device sync per step) and mirrored in this buffer for the
        # checkpoint (see _save_to_state_dict / _load_from_state_dict).
        self._base_seed = torch.initial_seed() & ((1 << 63) - 1)
        self._draws = 0
        self.register_buffer('rng_state', torch.zeros(2, dtype=torch.long))
        if covariance_type == 'lowrank':
            # Ω: fixed by a seed, so every rank (and a resumed run) agrees.
            gen = torch.Generator().manual_seed(0)
            self.register_buffer('sketch', torch.randn(d, rank, generator=gen))
        else:
            self.sketch = None
        self.init_class_counts(class_counts, num_classes)

    #: The default support weighting and mean transfer, chosen on the
    #: Fashion-MNIST-LT development split (frozen-feature replay of stage
    #: two, 2 stage-one seeds, lambda 0.2/0.6/1.0; see the stage-two
    #: config): 'covariance_only' 81.6 top-1 on average against 70.2
    #: ('interpolate', the paper's reading) and 70.7 ('average'); the
    #: weightings lie within 0.1 under it, 'count_distance' first.
    DEFAULT_WEIGHTING = 'count_distance'
    DEFAULT_MEAN_TRANSFER = 'covariance_only'

    @property
    def kd_weight(self) -> float:
        """float: The distillation weight; set by a schedule hook."""
        return self._kd_weight

    @kd_weight.setter
    def kd_weight(self, value: float) -> None:
        self._kd_weight = check_number(
            type(self).__name__, 'kd_weight', value, low=0)

    @property
    def stats_ready(self) -> bool:
        """bool: Whether the class statistics were set in this process
        (:meth:`set_feature_stats`; a Python flag, no device read)."""
        return self._stats_ready

    def class_counts_changed(self) -> None:
        # The tail classes and the 'balance' ratio follow from the counts
        # alone: computed once here, not at every step (the mask compares
        # every pair of classes).
        counts = self.get_class_counts(dtype=torch.long)
        set_buffer(self, 'tail_classes',
                   afg_tail_mask(counts, self.tail_max_count, self.k))
        self._capacity, self._anchor_cap = anchor_capacity(
            counts, self.tail_classes, self.in_channels, self.k,
            self.anchor_budget_bytes(), self.max_anchors_per_class)
        counts = counts.double()
        self._balance_ratio = float(
            (counts.max() - counts).sum() / counts.sum())
        # All classes equally large: nothing to generate.
        self._has_gap = bool((counts < counts.max()).any())

    def memory_bytes(self) -> Dict[str, int]:
        """The peak memory of the statistics
        (:func:`stage_two_memory_bytes`)."""
        return stage_two_memory_bytes(self.num_classes, self.in_channels,
                                      self.covariance_type, self.rank,
                                      self.finalize_chunk)

    def anchor_budget_bytes(self) -> float:
        """The anchors' part of ``memory_limit_gb``: half of what the
        statistics leave, since gathering them holds two copies (this
        rank's and the merged set)."""
        used = self.memory_bytes()['total']
        return max(self.memory_limit_bytes - used, 0) / 2

    def anchor_capacity(self) -> Tuple[torch.Tensor, Optional[int]]:
        """``(C, )`` anchors kept per class and the cap that applied (None:
        every tail training feature); see :func:`anchor_capacity`."""
        self.tail_mask()  # raises if no counts were set
        return self._capacity, self._anchor_cap

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
            anchors (torch.Tensor): ``(M, d)`` transformed training features
                of the tail classes, class after class (``anchor_count[c]``
                rows of class c, in class order).
            anchor_count (torch.Tensor): ``(C, )`` anchors per class.
        """
        anchor_count = torch.as_tensor(anchor_count).long()
        if anchors.dim() != 2 or anchors.size(0) != int(anchor_count.sum()):
            raise ValueError(
                f'{type(self).__name__}.set_feature_stats: anchors must be '
                f'(sum(anchor_count), d) = ({int(anchor_count.sum())}, '
                f'{self.in_channels}), got {tuple(anchors.shape)}.')
        # In chunks of classes: the float64 temporaries of all classes at
        # once are several times the running sums.
        for start in range(0, self.num_classes, self.finalize_chunk):
            part = {
                key: value[start:start + self.finalize_chunk]
                for key, value in moments.items()
            }
            mean, root, diag = finalize_class_stats(part, self.covariance_type,
                                                    self.sketch, self.jitter)
            for name, value in (('feature_mean', mean), ('feature_root', root),
                                ('feature_diag', diag), ('feature_count',
                                                         part['count'])):
                buf = getattr(self, name)[start:start + self.finalize_chunk]
                buf.copy_(value.to(buf))
            del mean, root, diag
        if not torch.isfinite(self.feature_root).all() or not torch.isfinite(
                self.feature_mean).all():
            raise FloatingPointError(
                f'{type(self).__name__}: non-finite class statistics; check '
                f'the backbone features for inf/NaN.')
        self._resize('anchors', anchors.shape)
        self.anchors.copy_(anchors.to(self.anchors))
        self.anchor_count.copy_(anchor_count.to(self.anchor_count))
        self.anchor_offset.copy_(
            self.anchor_count.cumsum(0) - self.anchor_count)
        self._set_support_sets()
        self._check_fingerprint()
        self._stats_ready = True

    @torch.no_grad()
    def _check_fingerprint(self) -> None:
        """Compare recomputed statistics with the checkpoint's fingerprint
        (warn if they differ), then record theirs."""
        checksum = self.feature_mean.sum(1).to(self.feature_checksum)
        if self._loaded_fingerprint:
            same_counts = torch.equal(self.feature_count.cpu(),
                                      self._loaded_counts[0]) and torch.equal(
                                          self.anchor_count.cpu(),
                                          self._loaded_counts[1])
            old = self.feature_checksum.cpu().double()
            close = torch.allclose(
                checksum.cpu().double(),
                old,
                rtol=1e-3,
                atol=1e-3 * float(old.abs().mean()))
            if not (same_counts and close):
                from mmengine.logging import print_log
                print_log(
                    f'{type(self).__name__}: the recomputed class statistics '
                    f'differ from those of the checkpoint ('
                    f'{"counts" if not same_counts else "class means"}): '
                    f'the training set, its sampler or the frozen backbone '
                    f'changed since it was saved, so the resumed run does '
                    f'not continue the saved one exactly.',
                    logger='current',
                    level=30)
            self._loaded_fingerprint = False
        self.feature_checksum.copy_(checksum)

    def _resize(self, name: str, shape) -> None:
        """Re-register an anchor buffer (not persistent) with a new first
        dimension."""
        old = getattr(self, name)
        if tuple(old.shape) != tuple(shape):
            self.register_buffer(name, old.new_zeros(shape), persistent=False)

    def anchor_labels(self) -> torch.Tensor:
        """``(M, )`` the class of each anchor row."""
        classes = torch.arange(self.num_classes, device=self.anchors.device)
        return torch.repeat_interleave(classes,
                                       self.anchor_count.to(classes.device))

    def _set_support_sets(self, chunk: int = 4096) -> None:
        num = self.anchors.size(0)
        self._resize('support_index', (num, self.k))
        self._resize('support_weight', (num, self.k))
        if num == 0:
            return
        counts = self.get_class_counts(self.feature_mean.device, torch.long)
        labels = self.anchor_labels()
        check_support_size(counts.cpu(), labels.unique().cpu(), self.k)
        means = self.feature_mean
        # Chunks of anchors: the M x C distances of every tail sample would
        # not fit at iNaturalist scale.
        for start in range(0, num, chunk):
            feats = self.anchors[start:start + chunk].to(means)
            lab = labels[start:start + chunk]
            dist = torch.cdist(feats, means)
            richer = counts[None, :] > counts[lab][:, None]
            dist, index = dist.masked_fill(~richer, float('inf')).topk(
                self.k, dim=1, largest=False)
            self.support_index[start:start + chunk] = index
            self.support_weight[start:start + chunk] = support_weights(
                dist, counts[index],
                self.support_weighting).to(self.support_weight)

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        self.rng_state.copy_(
            torch.tensor([self._base_seed, self._draws], dtype=torch.long))
        super()._save_to_state_dict(destination, prefix, keep_vars)

    #: Statistics that checkpoints of earlier versions hold; dropped on load
    #: (recomputed by ClassFeatureStatsHook).
    RECOMPUTED = ('feature_mean', 'feature_root', 'feature_diag', 'anchors',
                  'support_index', 'support_weight')

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        for name in self.RECOMPUTED:
            state_dict.pop(prefix + name, None)
        if prefix + 'feature_checksum' not in state_dict:  # older versions
            state_dict[prefix + 'feature_checksum'] = torch.zeros_like(
                self.feature_checksum)
        # Read once here (host-side state), never per step.
        rng = state_dict.get(prefix + 'rng_state')
        if rng is not None and rng.numel() == 2:
            self._base_seed, self._draws = (int(v) for v in rng.tolist())
        ready = state_dict.get(prefix + 'teacher_ready')
        if ready is not None and has_data(ready):
            self._teacher_ready = bool(ready)
        counts = state_dict.get(prefix + 'feature_count')
        anchor_count = state_dict.get(prefix + 'anchor_count')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        # The loaded weights may change the features: recompute.
        self._stats_ready = False
        self._loaded_fingerprint = (
            counts is not None and anchor_count is not None
            and has_data(counts) and has_data(anchor_count)
            and bool(counts.sum() > 0))
        if self._loaded_fingerprint:
            self._loaded_counts = (
                counts.detach().cpu().to(self.feature_count.dtype),
                anchor_count.detach().cpu().to(self.anchor_count.dtype))

    def random_state(self) -> Tuple[int, int]:
        """``(base_seed, draws)`` of the generation's random stream."""
        return self._base_seed, self._draws

    @torch.no_grad()
    def init_teacher(self) -> None:
        """Copy the current (stage-one) classifier into the frozen teacher.

        Does nothing once done (e.g. after resume, when the teacher came with
        the checkpoint).
        """
        if self._teacher_ready:
            return
        self.teacher_weight.copy_(self.fc.weight)
        self.teacher_bias.copy_(self.fc.bias)
        self.teacher_ready.fill_(True)
        self._teacher_ready = True

    def set_confidence(self, confidence: torch.Tensor) -> None:
        """Set :math:`\\lambda` (one value per class, each in [0, 1])."""
        value = check_confidence(type(self).__name__, confidence)
        self.confidence.copy_(
            value.to(self.confidence).expand_as(self.confidence))

    # ------------------------------------------------------------------
    # Generation and loss.
    def num_generated(self, batch_size: int) -> int:
        """Generated features per batch of ``batch_size`` real ones."""
        ratio = self.generated_ratio
        if ratio == 'balance':
            self.tail_mask()  # raises if no counts were set
            ratio = self._balance_ratio
        return int(round(ratio * batch_size))

    def generate(
        self,
        num: int,
        generator: Optional[torch.Generator] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Draw ``num`` features, classes in proportion to their gap.

        Args:
            num (int): How many.
            generator (torch.Generator, optional): Random generator.
                Defaults to None: the head's per-rank stream
                (:func:`mmlt.utils.rank_generator` of its base seed and draw
                counter, which this call advances).

        Returns:
            tuple[torch.Tensor]: Features ``(num, d)`` in the backbone's
            space (inverse Tukey) and labels ``(num, )``.
        """
        if not self.stats_ready:
            raise RuntimeError(
                f'{type(self).__name__}: no class feature statistics; add '
                f'`dict(type="ClassFeatureStatsHook")` to custom_hooks.')
        device = self.feature_mean.device
        if generator is None:
            # Tensors without data (meta, fake CUDA) take a CPU generator: a
            # fake tensor ignores it, and CUDA generators need a real GPU.
            generator = rank_generator(
                self._base_seed, self._draws,
                device if has_data(self.feature_mean) else 'cpu')
            self._draws += 1
        if num == 0 or not self._has_gap:
            d = self.feature_mean.size(1)
            return (self.feature_mean.new_zeros(0, d),
                    torch.zeros(0, dtype=torch.long, device=device))
        counts = self.get_class_counts(device, torch.float64)
        gap = counts.max() - counts
        labels = torch.multinomial(
            gap / gap.sum(), num, replacement=True, generator=generator)
        # Which draws are calibrated stays on the device: one batched draw
        # of fixed shapes (sample_generated), no split read to the host.
        use = self.tail_mask()[labels] & (self.anchor_count[labels] > 0)
        out = self._sample(labels, use, generator)
        return self._to_feature_space(out), labels

    def _sample(self, labels: torch.Tensor, use_anchor: torch.Tensor,
                generator: Optional[torch.Generator]) -> torch.Tensor:
        """One draw per label: calibrated from a uniformly picked anchor of
        its class where ``use_anchor``, else from its class's Gaussian."""
        if self.anchors.size(0) == 0:  # no tail anchors at all (a shape)
            return sample_class_gaussian(labels, self.feature_mean,
                                         self.feature_root, self.feature_diag,
                                         generator)
        rows = pick_anchors(labels, self.anchor_count, self.anchor_offset,
                            generator)
        return sample_generated(labels, use_anchor, rows, self.anchors,
                                self.support_index, self.support_weight,
                                self.confidence, self.feature_mean,
                                self.feature_root, self.feature_diag,
                                self.alpha, generator, self.mean_transfer)

    def _sample_tail(self, cls: torch.Tensor,
                     generator: Optional[torch.Generator]) -> torch.Tensor:
        """One calibrated draw per label in ``cls`` (tail classes with
        anchors)."""
        return self._sample(cls, torch.ones_like(cls, dtype=torch.bool),
                            generator)

    def _to_feature_space(self, out: torch.Tensor) -> torch.Tensor:
        out = inverse_tukey_transform(out, self.beta)
        if self.nonnegative:
            # Pooled post-ReLU features are >= 0; a Gaussian tail is not.
            out = out.clamp_min(0)
        return out

    @torch.no_grad()
    def self_assignment(self,
                        num_per_class: int = 256,
                        seed: Optional[int] = None,
                        chunk_bytes: int = 256 * 1024**2) -> torch.Tensor:
        """The share of each tail class's generated features that the
        stage-one classifier (the teacher) assigns to that class.

        A diagnostic of the calibration at the current :math:`\\lambda`: a
        low share means stage two trains on features that the stage-one
        model reads as other classes (label noise). Uses its own random
        stream (``seed``), so the training draws are unchanged.

        Args:
            num_per_class (int): Draws per tail class. Defaults to 256.
            seed (int, optional): Defaults to None (the head's base seed).
            chunk_bytes (int): Bounds the support factors gathered per batch
                of classes (k·d·(r+1) numbers a draw). Defaults to 256 MiB.

        Returns:
            torch.Tensor: ``(C, )`` float64 shares in [0, 1], NaN for the
            classes without anchors (head classes).
        """
        if not self.stats_ready or not self._teacher_ready:
            raise RuntimeError(
                f'{type(self).__name__}.self_assignment needs the class '
                f'statistics and the teacher (ClassFeatureStatsHook).')
        device = self.feature_mean.device
        generator = torch.Generator(device=device).manual_seed(
            self._base_seed if seed is None else seed)
        share = torch.full((self.num_classes, ),
                           math.nan,
                           dtype=torch.float64,
                           device=device)
        classes = (self.tail_mask() & (self.anchor_count > 0)).nonzero()
        classes = classes.flatten()
        per_draw = self.k * self.feature_mean.size(1) * (
            self.feature_root.size(-1) + 1) * self.feature_root.element_size()
        step = max(1, chunk_bytes // (per_draw * num_per_class))
        for start in range(0, classes.numel(), step):
            some = classes[start:start + step]
            cls = some.repeat_interleave(num_per_class)
            feats = self._to_feature_space(self._sample_tail(cls, generator))
            pred = self.teacher_logits(feats.to(self.teacher_weight)).argmax(1)
            hit = (pred == cls).double().view(-1, num_per_class)
            share[some] = hit.mean(1)
        return share

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
            if not self._teacher_ready:
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
            acc = Accuracy.calculate(
                logits[:real.size(0)], target, topk=self.topk)
            losses.update(
                {f'accuracy_top-{k}': a
                 for k, a in zip(self.topk, acc)})
        return losses
