# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict

import torch
import torch.distributed as torch_dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmlt.models.utils.feature_calibration import class_moments


def _dist_ready() -> bool:
    return torch_dist.is_available() and torch_dist.is_initialized()


def all_reduce_moments(moments: Dict[str, torch.Tensor]) -> None:
    """Sum class moments over ranks in place (no-op without a group)."""
    if not _dist_ready():
        return
    for value in moments.values():
        torch_dist.all_reduce(value, op=torch_dist.ReduceOp.SUM)


def gather_anchors(anchors: torch.Tensor,
                   anchor_count: torch.Tensor) -> tuple:
    """Merge per-rank anchors: per class, rank 0's first, then rank 1's...

    Args:
        anchors (torch.Tensor): ``(C, A, d)`` this rank's anchors.
        anchor_count (torch.Tensor): ``(C, )`` valid ones.

    Returns:
        tuple[torch.Tensor]: The merged ``(C, A, d)`` and ``(C, )``, equal on
        all ranks.
    """
    if not _dist_ready():
        return anchors, anchor_count
    world = torch_dist.get_world_size()
    all_anchors = [torch.empty_like(anchors) for _ in range(world)]
    all_counts = [torch.empty_like(anchor_count) for _ in range(world)]
    torch_dist.all_gather(all_anchors, anchors)
    torch_dist.all_gather(all_counts, anchor_count)
    merged = torch.zeros_like(anchors)
    count = torch.zeros_like(anchor_count)
    capacity = anchors.size(1)
    for rank_anchors, rank_count in zip(all_anchors, all_counts):
        for c in rank_count.nonzero().flatten().tolist():
            take = min(int(rank_count[c]), capacity - int(count[c]))
            if take > 0:
                merged[c, count[c]:count[c] + take] = rank_anchors[c, :take]
                count[c] += take
    return merged, count


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
    - up to ``max_anchors_per_class`` transformed features of each tail
      class as calibration anchors, gathered from all ranks;
    - the current classifier as the distillation teacher
      (:meth:`~mmlt.models.heads.AdaptiveFeatureGeneratorHead.init_teacher`).

    **Resume.** All of it is stored in the head's buffers, hence in the
    checkpoint; a run that starts with statistics already present (resumed,
    or ``load_from`` a stage-two checkpoint) keeps them and skips the pass.

    Args:
        recompute (bool): Recompute even if the head already has statistics.
            Defaults to False.
        priority (str | int): Hook priority; lower than ``NORMAL`` so that
            ``DecoupledStageHook`` has frozen the backbone. Defaults to
            ``'LOW'``.
    """

    def __init__(self, recompute: bool = False, priority='LOW') -> None:
        self.recompute = recompute
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
                               f'statistics loaded from the checkpoint.')
            return
        moments, anchors, anchor_count = self.collect(
            model, runner.train_dataloader)
        all_reduce_moments(moments)
        anchors, anchor_count = gather_anchors(anchors, anchor_count)
        head.set_feature_stats(moments, anchors, anchor_count)
        tail = head.tail_mask()
        runner.logger.info(
            f'{type(self).__name__}: statistics of '
            f'{int(moments["count"].sum())} training features '
            f'({head.covariance_type} covariance); tail classes '
            f'{tail.nonzero().flatten().tolist()}.')

    @staticmethod
    @torch.no_grad()
    def collect(model, dataloader):
        """One pass of ``dataloader`` through the frozen feature extractor.

        Args:
            model: An mmpretrain ``ImageClassifier`` with the AFG head.
            dataloader: Yields data batches.

        Returns:
            tuple: Summed moments (dict), anchors ``(C, A, d)`` and their
            counts ``(C, )``, of this rank's data.
        """
        head = model.head
        was_training = model.training
        model.eval()
        moments = None
        anchors = torch.zeros_like(head.anchors)
        anchor_count = torch.zeros_like(head.anchor_count)
        capacity = anchors.size(1)
        tail = head.tail_mask()
        try:
            for data in dataloader:
                data = model.data_preprocessor(data, False)
                feats = head.pre_logits(model.extract_feat(data['inputs']))
                labels = torch.cat([
                    s.gt_label for s in data['data_samples']
                ]).to(feats.device)
                # Transformed once: moments and anchors share it.
                transformed = head.transform(feats.float())
                moments = class_moments(transformed, labels,
                                        head.num_classes,
                                        head.covariance_type, head.sketch,
                                        moments)
                for c in labels[tail[labels]].unique().tolist():
                    free = capacity - int(anchor_count[c])
                    if free <= 0:
                        continue
                    new = transformed[labels == c][:free]
                    start = int(anchor_count[c])
                    anchors[c, start:start + len(new)] = new
                    anchor_count[c] += len(new)
        finally:
            model.train(was_training)
        if moments is None:
            raise RuntimeError('ClassFeatureStatsHook: the training '
                               'dataloader yielded no batch.')
        return moments, anchors, anchor_count
