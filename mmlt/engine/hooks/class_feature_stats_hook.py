# Copyright (c) mmlt contributors. All rights reserved.
import contextlib
import random
from typing import Dict, Iterator, Tuple

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmlt.models.utils.feature_calibration import class_moments


def _dist_ready() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def all_reduce_chunked(tensor: torch.Tensor,
                       chunk_numel: int = 1 << 26) -> None:
    """Sum a tensor over ranks in place, ``chunk_numel`` numbers at a time
    (the communication buffers of a multi-GB all-reduce would not fit next
    to it)."""
    if not _dist_ready():
        return
    flat = tensor.view(-1)
    for start in range(0, flat.numel(), chunk_numel):
        part = flat[start:start + chunk_numel]
        torch_dist.all_reduce(part, op=torch_dist.ReduceOp.SUM)


def all_reduce_moments(moments: Dict[str, torch.Tensor],
                       chunk_numel: int = 1 << 26) -> None:
    """Sum class moments over ranks in place (no-op without a group)."""
    for value in moments.values():
        all_reduce_chunked(value, chunk_numel)


def place_anchors(anchors: torch.Tensor, counts: torch.Tensor,
                  capacity: torch.Tensor,
                  rank: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Where this rank's anchors go in the merged set, a pure function.

    Every class keeps rank 0's anchors first, then rank 1's, ..., up to its
    capacity.

    Args:
        anchors (torch.Tensor): ``(M, d)`` this rank's anchors, class c in
            the rows ``offset_c ... offset_c + counts[rank, c]`` (offsets of
            ``capacity``).
        counts (torch.Tensor): ``(W, C)`` every rank's anchors per class.
        capacity (torch.Tensor): ``(C, )`` anchors kept per class.
        rank (int): This rank.

    Returns:
        tuple[torch.Tensor]: The ``(M, d)`` merged set with zeros where other
        ranks' anchors go (their sum over ranks is the merged set), and the
        merged ``(C, )`` counts.
    """
    capacity = capacity.to(anchors.device)
    counts = counts.to(anchors.device)
    offset = capacity.cumsum(0) - capacity
    before = counts[:rank].sum(0)  # slots the lower ranks take
    row_class = torch.repeat_interleave(
        torch.arange(capacity.numel(), device=anchors.device), capacity)
    pos = torch.arange(
        row_class.numel(), device=anchors.device) - offset[row_class]
    keep = (pos < counts[rank][row_class]) & (
        before[row_class] + pos < capacity[row_class])
    merged = torch.zeros_like(anchors)
    dest = offset[row_class] + before[row_class] + pos
    merged[dest[keep]] = anchors[keep]
    return merged, torch.minimum(counts.sum(0), capacity)


def gather_anchors(anchors: torch.Tensor,
                   anchor_count: torch.Tensor,
                   capacity: torch.Tensor,
                   chunk_numel: int = 1 << 26) -> tuple:
    """Merge per-rank anchors: per class, rank 0's first, then rank 1's...

    Args:
        anchors (torch.Tensor): ``(M, d)`` this rank's anchors (see
            :func:`place_anchors`).
        anchor_count (torch.Tensor): ``(C, )`` this rank's anchors per class.
        capacity (torch.Tensor): ``(C, )`` anchors kept per class.
        chunk_numel (int): All-reduce chunk. Defaults to 2**26.

    Returns:
        tuple[torch.Tensor]: The merged ``(M', d)`` anchors (class after
        class, no gaps) and ``(C, )`` counts, equal on all ranks.
    """
    if _dist_ready():
        world = torch_dist.get_world_size()
        all_counts = [torch.empty_like(anchor_count) for _ in range(world)]
        torch_dist.all_gather(all_counts, anchor_count)
        merged, count = place_anchors(anchors, torch.stack(all_counts),
                                      capacity, torch_dist.get_rank())
        # Disjoint rows: the sum over ranks is the merged set, one M x d
        # buffer a rank (an all_gather would hold W of them).
        all_reduce_chunked(merged, chunk_numel)
    else:
        merged, count = place_anchors(anchors, anchor_count[None], capacity, 0)
    # Drop the unfilled slots (a class with fewer samples than its
    # capacity on all ranks, e.g. the padding of the sampler missing).
    capacity = capacity.to(merged.device)
    offset = capacity.cumsum(0) - capacity
    row_class = torch.repeat_interleave(
        torch.arange(capacity.numel(), device=merged.device), capacity)
    pos = torch.arange(
        row_class.numel(), device=merged.device) - offset[row_class]
    return merged[pos < count.to(merged.device)[row_class]], count


def batch_anchor_slots(labels: torch.Tensor, tail: torch.Tensor,
                       filled: torch.Tensor, capacity: torch.Tensor,
                       offset: torch.Tensor, scratch: int) -> torch.Tensor:
    """The anchor row of each sample of a batch, a pure function.

    A tail-class sample takes its class's next free row (in batch order)
    while the class has capacity; any other sample gets ``scratch``, a
    spare row that is thrown away. All on the device: no per-class loop
    reading counts to the host at every batch.

    Args:
        labels (torch.Tensor): ``(N, )`` classes of the batch.
        tail (torch.Tensor): ``(C, )`` bool, the classes with anchors.
        filled (torch.Tensor): ``(C, )`` anchors already taken per class.
        capacity (torch.Tensor): ``(C, )`` anchors kept per class.
        offset (torch.Tensor): ``(C, )`` the first row of each class.
        scratch (int): The spare row.

    Returns:
        torch.Tensor: ``(N, )`` int64 rows.
    """
    num = labels.numel()
    # Rank of each sample among the batch's samples of its class, in batch
    # order: position in the stable sort minus the first position of its
    # class there.
    sorted_labels, order = labels.sort(stable=True)
    first = torch.searchsorted(sorted_labels, sorted_labels)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(num, device=labels.device) - first
    pos = filled[labels] + rank
    keep = tail[labels] & (pos < capacity[labels])
    return torch.where(keep, offset[labels] + pos,
                       torch.full_like(pos, scratch))


@contextlib.contextmanager
def fixed_random_state(seed: int) -> Iterator[None]:
    """Run a block under ``seed`` (Python, NumPy, torch CPU and CUDA) and
    restore the previous random state afterwards.

    The statistics pass reads the training dataloader, whose augmentation
    draws from these generators: seeded alike, a resumed run recomputes the
    statistics of the uninterrupted one, and the training's own random
    stream is left as it was.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = torch.cuda.is_available() and torch.cuda.is_initialized()
    devices = [torch.cuda.current_device()] if cuda else []
    with torch.random.fork_rng(devices=devices):
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


@HOOKS.register_module()
class ClassFeatureStatsHook(Hook):
    """Class feature statistics of the frozen backbone for GLAG's AFG.

    Before training (after ``load_from`` and after ``DecoupledStageHook``
    froze the backbone; the features never change afterwards, so once is
    enough), runs the model's ``extract_feat`` in eval mode without
    gradients over the training dataloader and hands
    :class:`~mmlt.models.heads.AdaptiveFeatureGeneratorHead`

    - the class moments of the Tukey-transformed features (counts, sums,
      squares, outer products or their sketch), summed over the ranks with
      ``all_reduce``; each rank sees its shard of the training set;
    - the transformed features of the tail classes as calibration anchors,
      gathered from all ranks: every tail training feature, or as many per
      class as ``max_anchors_per_class`` and the head's memory budget allow
      (the log says which);
    - the current classifier as the distillation teacher
      (:meth:`~mmlt.models.heads.AdaptiveFeatureGeneratorHead.init_teacher`).

    It then logs, once, a diagnostic of the calibration: the share of each
    tail class's generated features (at the configured :math:`\\lambda`)
    that the stage-one classifier assigns to that class
    (:meth:`~mmlt.models.heads.AdaptiveFeatureGeneratorHead.self_assignment`;
    also the scalar ``afg/self_assignment_mean``).

    **Resume.** The statistics and anchors are not in the checkpoint (GBs
    at iNaturalist scale); they are a function of the frozen features, so
    every start, resume or ``load_from`` recomputes them. The pass runs
    under a fixed random state (``seed``; the augmentation of the training
    pipeline draws from it) and restores the previous one, so a resumed run
    gets the statistics, anchors and hence the draws of the uninterrupted
    one; the head warns if they differ from the checkpoint's fingerprint.
    Testing needs none of it (prediction is the classifier's).

    Args:
        recompute (bool): Recompute even if the head already has statistics
            from this process. Defaults to False.
        seed (int, optional): The random state of the pass. Defaults to
            None (the runner's seed, which a resumed run takes from the
            checkpoint).
        diagnostic_draws (int): Draws per tail class of the diagnostic; 0
            skips it. Defaults to 256.
        priority (str | int): Hook priority; lower than ``NORMAL`` so that
            ``DecoupledStageHook`` has frozen the backbone. Defaults to
            ``'LOW'``.
    """

    def __init__(self,
                 recompute: bool = False,
                 diagnostic_draws: int = 256,
                 seed=None,
                 priority='LOW') -> None:
        self.recompute = recompute
        self.seed = seed
        self.diagnostic_draws = int(diagnostic_draws)
        self.priority = priority

    def before_train(self, runner) -> None:
        """Compute and set the statistics, then the teacher."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = model.head
        if not hasattr(head, 'set_feature_stats'):
            raise TypeError(
                f'{type(self).__name__} needs a head with class feature '
                f'statistics (AdaptiveFeatureGeneratorHead), got '
                f'{type(head).__name__}.')
        head.init_teacher()
        if head.stats_ready and not self.recompute:
            runner.logger.info(f'{type(self).__name__}: class feature '
                               f'statistics already set; pass skipped.')
            return
        seed = self.seed
        if seed is None:
            seed = getattr(runner, 'seed', None) or 0
        with fixed_random_state(int(seed)):
            moments, anchors, anchor_count = self.collect(
                model, runner.train_dataloader)
        all_reduce_moments(moments)
        capacity, cap = head.anchor_capacity()
        anchors, anchor_count = gather_anchors(anchors, anchor_count, capacity)
        head.set_feature_stats(moments, anchors, anchor_count)
        tail = head.tail_mask()
        if cap is None:
            kept = 'every tail training feature is an anchor'
        else:
            kept = (f'at most {cap} anchors per tail class (the cap of '
                    f'max_anchors_per_class={head.max_anchors_per_class} '
                    f'or of memory_limit_gb='
                    f'{head.memory_limit_bytes / 1024**3:g}, whichever is '
                    f'lower)')
        runner.logger.info(
            f'{type(self).__name__}: statistics of '
            f'{int(moments["count"].sum())} training features '
            f'({head.covariance_type} covariance); tail classes '
            f'{tail.nonzero().flatten().tolist()}; {anchors.size(0)} '
            f'anchors: {kept}.')
        if self.diagnostic_draws > 0:
            self.log_self_assignment(runner, head)

    def log_self_assignment(self, runner, head) -> torch.Tensor:
        """Log the share of each tail class's generated features that the
        stage-one classifier assigns to it (the calibration diagnostic)."""
        share = head.self_assignment(self.diagnostic_draws)
        known = ~torch.isnan(share)
        if not bool(known.any()):
            return share
        lam = head.confidence[known]
        header = (f'{type(self).__name__}: share of each tail class\'s '
                  f'generated features that the stage-one classifier assigns '
                  f'to that class (lambda {float(lam.min()):.2f}-'
                  f'{float(lam.max()):.2f}, mean_transfer='
                  f'{head.mean_transfer}, support_weighting='
                  f'{head.support_weighting})')
        classes = known.nonzero().flatten().tolist()
        values = share[known].tolist()
        if len(classes) <= 100:
            detail = ', '.join(f'{c}: {v:.3f}'
                               for c, v in zip(classes, values))
        else:
            worst = sorted(zip(values, classes))[:10]
            detail = 'lowest ' + ', '.join(f'{c}: {v:.3f}' for v, c in worst)
        runner.logger.info(f'{header}: mean {sum(values) / len(values):.3f}; '
                           f'{detail}.')
        hub = getattr(runner, 'message_hub', None)
        if hub is not None:
            hub.update_scalar('afg/self_assignment_mean',
                              sum(values) / len(values))
        return share

    @staticmethod
    @torch.no_grad()
    def collect(model, dataloader):
        """One pass of ``dataloader`` through the frozen feature extractor.

        Args:
            model: An mmpretrain ``ImageClassifier`` with the AFG head.
            dataloader: Yields data batches.

        Returns:
            tuple: Summed moments (dict), anchors ``(M, d)`` (class c in rows
            ``offset_c ... offset_c + count_c`` of the offsets of
            ``head.anchor_capacity()``) and their counts ``(C, )``, of this
            rank's data.
        """
        head = model.head
        was_training = model.training
        model.eval()
        moments = None
        device = head.anchors.device
        capacity = head.anchor_capacity()[0].to(device)
        offset = capacity.cumsum(0) - capacity
        total = int(capacity.sum())
        # One spare row (the last) takes the samples that are no anchors.
        anchors = head.anchors.new_zeros(total + 1, head.in_channels)
        anchor_count = torch.zeros_like(head.anchor_count)
        tail = head.tail_mask()
        try:
            for data in dataloader:
                data = model.data_preprocessor(data, False)
                feats = head.pre_logits(model.extract_feat(data['inputs']))
                labels = torch.cat([s.gt_label for s in data['data_samples']
                                    ]).to(feats.device)
                # Transformed once: moments and anchors share it.
                transformed = head.transform(feats.float())
                moments = class_moments(transformed, labels, head.num_classes,
                                        head.covariance_type, head.sketch,
                                        moments)
                rows = batch_anchor_slots(labels, tail, anchor_count, capacity,
                                          offset, total)
                anchors.index_copy_(0, rows, transformed.to(anchors))
                anchor_count.index_add_(0, labels, (rows < total).long())
        finally:
            model.train(was_training)
        if moments is None:
            raise RuntimeError('ClassFeatureStatsHook: the training '
                               'dataloader yielded no batch.')
        return moments, anchors[:total], anchor_count
