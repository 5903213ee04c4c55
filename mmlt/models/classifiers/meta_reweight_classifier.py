# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional

import torch
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch.func import functional_call

from mmlt.models.losses.class_balanced_loss import class_balanced_weights
from mmlt.models.losses.utils import check_choice, check_number, set_buffer
from mmlt.utils.class_counts import ClassCountsMixin, CountsLike
from .meta_reweight import (DIRECTIONAL_DERIVATIVES, LOOKAHEAD_REDUCTIONS,
                            VARIANTS, meta_reweighted_loss)

HOOK_HINT = ("add dict(type='MetaReweightHook') to custom_hooks: it tells "
             'the model the epoch, the learning rate and the development '
             'batch of every iteration')


@MODELS.register_module()
class MetaReweightClassifier(ClassCountsMixin, ImageClassifier):
    r"""An image classifier trained with meta-learned sample weights.

    Jamal et al., `Rethinking Class-Balanced Methods for Long-Tailed Visual
    Recognition from a Domain Adaptation Perspective
    <https://arxiv.org/abs/2003.10780>`_ (CVPR 2020), Algorithm 1. Before
    ``meta_start_epoch`` (:math:`t_1`) it trains as an ordinary
    :class:`ImageClassifier` with the head's loss :math:`L`. From then on,
    every iteration:

    1. :math:`\epsilon = 0`; per-sample losses :math:`L_i(\theta)`;
    2. look-ahead :math:`\tilde\theta = \theta - \eta\nabla_\theta
       \frac{1}{|B|}\sum_i (w_{y_i} + \epsilon_i) L_i`, functionally and
       (:math:`\eta` the optimizer's current lr);
    3. :math:`\epsilon \leftarrow -\tau\nabla_\epsilon` of the mean loss
       :math:`L` of :math:`\tilde\theta` on a development batch, from the
       products of the development gradient with the per-sample gradients
       (a central difference of two forward passes, or exactly by one
       forward-mode pass, see
       :func:`~mmlt.models.classifiers.meta_reweight.epsilon_gradient`);
    4. the real update, through the optim wrapper, of
       :math:`\frac{1}{|B|}\sum_i (w_{y_i} + \epsilon_i) L_i(\theta)`
       (the losses of step 1).

    In all: the forward of the training batch, two backwards through it,
    a forward/backward of the development batch and two forward passes of
    the training batch (or one forward-mode pass); memory: the look-ahead
    parameters, their gradient and the development gradient
    (parameter-sized), the graph of the training batch kept for the second
    backward.

    :math:`w_y` are the class-balanced weights
    (:func:`~mmlt.models.losses.class_balanced_weights`, effective number,
    normalised to sum to ``C``). ``variant='l2rw'`` is L2RW (Ren et al.,
    2018): no class weights, weights :math:`\max(-\nabla_\epsilon, 0)`
    normalised to sum to one; its configs start at epoch 0.

    The work is done in ``forward(mode='loss')``, which both the plain and
    the ``MMDistributedDataParallel`` ``train_step`` call, so configs keep
    the default model wrapper. Under DDP the look-ahead and development
    gradients are averaged over ranks with explicit all-reduces (see
    :mod:`~mmlt.models.classifiers.meta_reweight`) and the real update is
    reduced by DDP. :class:`~mmlt.engine.hooks.MetaReweightHook` supplies
    the epoch, :math:`\eta` and the development batch.

    BatchNorm: the training batch goes through the model once, updating the
    running statistics as plain training does; the development forward of
    :math:`\tilde\theta` and the passes for the products run in training
    mode
    (batch statistics) on copies of the buffers, so they leave the running
    statistics untouched. Layers drawing random numbers (dropout) would draw
    new ones in those passes.

    Under autocast (``--amp``) the meta step (look-ahead, development
    gradient, products) runs at full precision with autocast off, and the
    sample weights are float32; the real update keeps the autocast forward
    (see :mod:`~mmlt.models.classifiers.meta_reweight`).

    The head's loss is :math:`L` and must give per-sample losses with
    ``reduction_override='none'`` (mmpretrain's ``CrossEntropyLoss``,
    ``SoftmaxFocalLoss``, ``LDAMLoss``); keep it unweighted, the class
    weights are applied here.

    Args:
        meta_lr (float): :math:`\tau \ge 0`, the step size of
            :math:`\epsilon`, in the units of ``lookahead_reduction``: the
            authors' code steps by 0.01 on the summed loss
            (``lookahead_reduction='sum'``), which is about
            :math:`0.01 |B|` on the mean (:math:`|B|` the global batch).
            0 skips the meta step: plain :math:`L`, then
            :math:`w_y L` from ``meta_start_epoch`` on (class-balanced
            fine-tuning, the paper's "Class-balanced fine-tuning" row and
            the matched baseline of the meta stage). Unused by ``'l2rw'``,
            which normalises the weights.
        meta_start_epoch (int): :math:`t_1`, the first (0-based) epoch of
            the meta stage. Defaults to 0.
        variant (str): ``'class_balanced'`` (Jamal et al.) or ``'l2rw'``.
            Defaults to ``'class_balanced'``.
        beta (float): :math:`\beta` of the effective number.
            Defaults to 0.9999.
        class_balanced_pretrain (bool): Weight the loss by :math:`w_y` before
            ``meta_start_epoch`` too; Algorithm 1 pre-trains with the plain
            :math:`L`. Defaults to False.
        directional_derivative (str): How the products of step 3 are
            computed: ``'central_difference'`` (two forward passes, relative
            error about 1e-4) or ``'forward_ad'`` (exact; one forward-mode
            pass, about twice the time on CPU).
            Defaults to ``'central_difference'``.
        difference_step (float): The central difference's step in
            parameter space. Defaults to 1e-2.
        lookahead_reduction (str): The look-ahead loss over the batch:
            ``'mean'`` (Algorithm 1 as printed) or ``'sum'`` (the authors'
            code, where ``meta_lr=0.01`` is their step). The summed form at
            lr :math:`\eta` equals the mean form at :math:`|B|\eta`.
            Defaults to ``'mean'``.
        class_counts (Sequence[int], optional): Training count per class.
            Defaults to None (set by ``ClassCountsHook``).
        **kwargs: The arguments of :class:`ImageClassifier` (``backbone``,
            ``neck``, ``head``, ...).
    """

    def __init__(self,
                 meta_lr: float,
                 meta_start_epoch: int = 0,
                 variant: str = 'class_balanced',
                 beta: float = 0.9999,
                 class_balanced_pretrain: bool = False,
                 directional_derivative: str = 'central_difference',
                 difference_step: float = 1e-2,
                 lookahead_reduction: str = 'mean',
                 class_counts: Optional[CountsLike] = None,
                 **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        check_choice(name, 'variant', variant, VARIANTS)
        check_choice(name, 'directional_derivative', directional_derivative,
                     DIRECTIONAL_DERIVATIVES)
        self.difference_step = check_number(
            name, 'difference_step', difference_step, 0, low_inclusive=False)
        self.directional_derivative = directional_derivative
        check_choice(name, 'lookahead_reduction', lookahead_reduction,
                     LOOKAHEAD_REDUCTIONS)
        self.lookahead_reduction = lookahead_reduction
        # 0: class-balanced fine-tuning, no meta step.
        self.meta_lr = check_number(name, 'meta_lr (tau)', meta_lr, 0)
        if not (isinstance(meta_start_epoch, int) and meta_start_epoch >= 0):
            raise ValueError(f'{name}: meta_start_epoch must be a '
                             f'non-negative int (0-based epoch), got '
                             f'{meta_start_epoch!r}.')
        if variant == 'l2rw' and class_balanced_pretrain:
            raise ValueError(f'{name}: L2RW uses no class weights; drop '
                             f'class_balanced_pretrain or use '
                             f"variant='class_balanced'.")
        if not self.with_head or not hasattr(self.head, 'loss_module'):
            raise ValueError(f'{name} needs a classification head with a '
                             f'`loss_module` (e.g. LinearClsHead).')
        self.meta_start_epoch = meta_start_epoch
        self.variant = variant
        self.beta = check_number(
            name, 'beta', beta, 0, 1, high_inclusive=False)
        self.class_balanced_pretrain = class_balanced_pretrain
        self.register_buffer('cb_weight', None, persistent=False)
        self.init_class_counts(class_counts,
                               getattr(self.head, 'num_classes', None))
        self._epoch: Optional[int] = None
        self._dev_batch = None
        self._lr: Optional[float] = None
        # The last meta step's eps, weights and labels, for the hook's
        # per-epoch statistics.
        self.meta_record: Optional[dict] = None

    def class_counts_changed(self) -> None:
        """Recompute :math:`w_y` from the new counts."""
        weights = class_balanced_weights(self.class_counts.cpu(), self.beta)
        set_buffer(self, 'cb_weight', weights.float())

    # The hook's interface.
    def in_meta_stage(self, epoch: int) -> bool:
        """Whether ``epoch`` (0-based) is in the meta stage."""
        return epoch >= self.meta_start_epoch

    def needs_dev_batch(self, epoch: int) -> bool:
        """Whether an iteration of ``epoch`` runs the meta step (and needs
        a development batch): in the meta stage, unless ``meta_lr`` is 0
        for the class-balanced variant."""
        return self.in_meta_stage(epoch) and not (
            self.variant == 'class_balanced' and self.meta_lr == 0)

    def set_meta_inputs(self,
                        epoch: int,
                        lr: Optional[float] = None,
                        dev_batch: Optional[dict] = None) -> None:
        """Set what the next training forward needs.

        Args:
            epoch (int): The current 0-based epoch.
            lr (float, optional): :math:`\\eta`, the current learning rate.
                Needed in the meta stage. Defaults to None.
            dev_batch (dict, optional): A development batch as the
                dataloader yields it. Needed in the meta stage.
                Defaults to None.
        """
        self._epoch = int(epoch)
        self._lr = None if lr is None else float(lr)
        self._dev_batch = dev_batch

    def clear_meta_inputs(self) -> None:
        """Drop the development batch once the iteration is done."""
        self._dev_batch = None
        self._lr = None

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        r"""The training loss of one batch (the meta step in the meta stage).

        Args:
            inputs (torch.Tensor): The preprocessed images ``(N, ...)``.
            data_samples (list[DataSample]): Their annotations.

        Returns:
            dict: ``loss`` and, in the meta stage, statistics of the weights
            (``meta_weight_mean``/``_min``/``_max``; not added to the
            loss). The step's :math:`\epsilon` (for L2RW: the weights),
            weights and labels are kept in ``meta_record`` for
            :class:`~mmlt.engine.hooks.MetaReweightHook`.
        """
        name = type(self).__name__
        if self._epoch is None:
            raise RuntimeError(f'{name} does not know the epoch: {HOOK_HINT}.')
        meta = self.in_meta_stage(self._epoch)
        if not meta and not self.class_balanced_pretrain:
            return super().loss(inputs, data_samples)
        feats = self.extract_feat(inputs)
        target = _target(data_samples)
        losses = self.per_sample_loss(self.head(feats), target)
        if self.variant == 'l2rw':
            class_weight = torch.zeros_like(losses)
        else:
            class_weight = self.sample_class_weight(target, losses)
        if not meta:
            return dict(loss=(class_weight * losses).mean())
        if not self.needs_dev_batch(self._epoch):  # tau = 0: eps = 0
            self._record(torch.zeros_like(class_weight), class_weight, target)
            return dict(loss=(class_weight * losses).mean())
        if self._dev_batch is None or self._lr is None:
            raise RuntimeError(f'{name}: no development batch or learning '
                               f'rate for the meta stage (epoch '
                               f'{self._epoch}); {HOOK_HINT}.')
        dev = self.data_preprocessor(self._dev_batch, False)
        self._dev_batch = None  # one development batch per update
        dev_target = _target(dev['data_samples'])
        params = {n: p for n, p in self.named_parameters() if p.requires_grad}
        out = meta_reweighted_loss(
            losses, class_weight, params,
            lambda new: self.functional_loss(new, inputs, target), lambda new:
            self.functional_loss(new, dev['inputs'], dev_target).mean(),
            self._lr, self.meta_lr, self.variant, self.directional_derivative,
            self.difference_step, self.lookahead_reduction)
        weight = out['weight']
        self._record(
            weight if self.variant == 'l2rw' else weight - class_weight,
            weight, target)
        return dict(
            loss=out['loss'],
            meta_weight_mean=weight.mean(),
            meta_weight_min=weight.min(),
            meta_weight_max=weight.max())

    def _record(self, eps: torch.Tensor, weight: torch.Tensor,
                target: torch.Tensor) -> None:
        """Keep a step's eps, weights and hard labels (detached)."""
        labels = target if target.dim() == 1 else target.argmax(dim=1)
        self.meta_record = dict(
            eps=eps.detach(), weight=weight.detach(), labels=labels.detach())

    def per_sample_loss(self, cls_score: torch.Tensor,
                        target: torch.Tensor) -> torch.Tensor:
        """The head's loss of every sample, shape ``(N, )``."""
        losses = self.head.loss_module(
            cls_score, target, reduction_override='none')
        if losses.dim() == 2 and losses.shape == cls_score.shape:
            losses = losses.sum(dim=1)  # element-wise (sigmoid) losses
        if losses.shape != (cls_score.size(0), ):
            raise ValueError(
                f'{type(self).__name__}: the head loss '
                f'{type(self.head.loss_module).__name__} gave shape '
                f'{tuple(losses.shape)} with reduction_override="none"; the '
                f'meta step needs one loss per sample, shape '
                f'({cls_score.size(0)}, ).')
        return losses

    def sample_class_weight(self, target: torch.Tensor,
                            losses: torch.Tensor) -> torch.Tensor:
        """:math:`w_{y_i}` of every sample (expected over soft targets), at
        least float32 (under autocast the losses may be half: w + eps
        would lose eps)."""
        self.get_class_counts()  # a clear error when there are no counts
        weight = self.cb_weight.to(
            device=losses.device,
            dtype=torch.promote_types(losses.dtype, torch.float32))
        if target.dim() == 1:
            return weight[target]
        return target.to(weight) @ weight

    def functional_loss(self, params: dict, inputs: torch.Tensor,
                        target: torch.Tensor) -> torch.Tensor:
        """Per-sample losses :math:`L_i` of a batch with ``params``.

        Runs in the model's current (training) mode on copies of the
        buffers: BatchNorm normalises with the batch's statistics and its
        running statistics stay as they are.

        Args:
            params (dict[str, torch.Tensor]): Parameters by name (the
                others are the model's own).
            inputs (torch.Tensor): Preprocessed images.
            target (torch.Tensor): Labels ``(N, )`` or scores ``(N, C)``.

        Returns:
            torch.Tensor: The losses, shape ``(N, )``.
        """
        buffers = {n: b.clone() for n, b in self.named_buffers()}
        cls_score = functional_call(self, {
            **buffers,
            **params
        }, (inputs, ), dict(mode='tensor'))
        return self.per_sample_loss(cls_score, target)


def _target(data_samples: List[DataSample]) -> torch.Tensor:
    """Hard labels ``(N, )`` or batch-augment scores ``(N, C)``, as
    mmpretrain's ``ClsHead`` reads them."""
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples])
    return torch.cat([s.gt_label for s in data_samples])
