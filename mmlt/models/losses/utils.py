# Copyright (c) mmlt contributors. All rights reserved.
"""Plumbing shared by mmlt's losses: argument checks, targets, reduction.

The loss formulas live in the loss files; this module only holds what every
loss would otherwise repeat, so that all of them validate their inputs, read
hard/soft targets and reduce in the same (mmpretrain) way.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.losses.utils import weight_reduce_loss
from torch import nn

from .runtime_checks import check_on_all_ranks, has_data, non_finite_is_handled

REDUCTIONS = ('none', 'mean', 'sum')


def check_choice(owner: str, arg: str, value, choices: Sequence) -> None:
    """Raise a ValueError if ``value`` is not one of ``choices``.

    Args:
        owner (str): The loss name, used in the message.
        arg (str): The argument name, used in the message.
        value: The given value.
        choices (Sequence): The accepted values.
    """
    if value not in choices:
        raise ValueError(f'{owner}: `{arg}` must be one of '
                         f'{", ".join(repr(c) for c in choices)}, '
                         f'got {value!r}.')


def check_number(owner: str,
                 arg: str,
                 value,
                 low: Optional[float] = None,
                 high: Optional[float] = None,
                 low_inclusive: bool = True,
                 high_inclusive: bool = True) -> float:
    """Check that a hyper-parameter is a finite number in a range.

    Args:
        owner (str): The loss name, used in the message.
        arg (str): The argument name, used in the message.
        value: The given value.
        low (float, optional): Lower bound. Defaults to None (unbounded).
        high (float, optional): Upper bound. Defaults to None (unbounded).
        low_inclusive (bool): Whether ``low`` itself is allowed.
            Defaults to True.
        high_inclusive (bool): Whether ``high`` itself is allowed.
            Defaults to True.

    Returns:
        float: The value as a float.
    """
    lo = '' if low is None else ('[' if low_inclusive else '(') + f'{low}, '
    hi = '' if high is None else f'{high}' + (']' if high_inclusive else ')')
    interval = f'{lo or "(-inf, "}{hi or "inf)"}'
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f'{owner}: `{arg}` must be a number in {interval}, '
                        f'got {value!r}.') from None
    bad = not math.isfinite(number)
    if low is not None:
        bad |= number < low if low_inclusive else number <= low
    if high is not None:
        bad |= number > high if high_inclusive else number >= high
    if bad:
        raise ValueError(f'{owner}: `{arg}` must be a finite number in '
                         f'{interval}, got {value!r}.')
    return number


def get_reduction(owner: str, default: str,
                  reduction_override: Optional[str]) -> str:
    """Resolve ``reduction_override`` against the configured reduction.

    Args:
        owner (str): The loss name, used in the message.
        default (str): The configured reduction.
        reduction_override (str, optional): The per-call override.

    Returns:
        str: One of ``'none'``, ``'mean'`` and ``'sum'``.
    """
    if reduction_override is None:
        return default
    check_choice(owner, 'reduction_override', reduction_override, REDUCTIONS)
    return reduction_override


def check_num_classes(owner: str, cls_score: torch.Tensor, num: int,
                      what: str) -> None:
    """Check that a per-class vector matches the number of logits.

    Args:
        owner (str): The loss name, used in the message.
        cls_score (torch.Tensor): The logits, shape ``(N, C)``.
        num (int): The length of the per-class vector.
        what (str): What the vector is (``'class_counts'``, ...).
    """
    if num != cls_score.size(1):
        raise ValueError(
            f'{owner}: {what} has {num} entries but cls_score has '
            f'{cls_score.size(1)} classes (shape {tuple(cls_score.shape)}); '
            f'give one entry per class of this head (check the head\'s '
            f'`num_classes` and the `class_counts`/dataset it was fed).')


def prepare_target(owner: str,
                   cls_score: torch.Tensor,
                   label: torch.Tensor,
                   allow_soft: bool = True
                   ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Read hard labels ``(N, )`` or soft targets ``(N, C)``.

    Args:
        owner (str): The loss name, used in the message.
        cls_score (torch.Tensor): The logits, shape ``(N, C)``.
        label (torch.Tensor): Integer class indices ``(N, )`` or soft targets
            ``(N, C)`` as produced by mmpretrain's batch augments (Mixup,
            CutMix).
        allow_soft (bool): Whether the loss is defined for soft targets. If
            not, exactly one-hot ``(N, C)`` targets are still accepted.
            Defaults to True.

    Returns:
        tuple[torch.Tensor, torch.Tensor | None]: The target distribution
        ``(N, C)`` in ``cls_score``'s dtype, and the integer labels ``(N, )``
        (None for soft targets).
    """
    if cls_score.dim() != 2:
        raise ValueError(f'{owner}: cls_score must have shape (N, C), got '
                         f'{tuple(cls_score.shape)}.')
    num, num_classes = cls_score.shape
    if label.dim() == 1 and label.size(0) == num:
        if label.is_floating_point() or label.is_complex():
            raise TypeError(f'{owner}: hard labels must be integer class '
                            f'indices, got dtype {label.dtype}.')
        label = check_labels(owner, label, num_classes)
        # scatter_, not one_hot, which reads the labels' range to the host
        # on CPU (checked above already).
        target = torch.zeros_like(cls_score).scatter_(1, label.unsqueeze(1), 1)
        return target, label
    if label.shape == cls_score.shape:
        target = label.to(cls_score)
        if allow_soft:
            return target, None
        is_one_hot = (((target == 0) | (target == 1)).all()
                      & (target.sum(dim=1) == 1).all())
        check_on_all_ranks(
            ~is_one_hot,
            f'{owner} needs integer class labels of shape (N, ); got '
            f'soft targets of shape {tuple(label.shape)} (e.g. from '
            f'Mixup/CutMix/label smoothing), which this loss is not '
            f'defined for: drop the batch augment or use a loss that '
            f'accepts soft targets.')
        return target, target.argmax(dim=1)
    raise ValueError(
        f'{owner}: label must have shape ({num}, ) (class indices) or '
        f'{tuple(cls_score.shape)} (soft targets), got '
        f'{tuple(label.shape)}.')


def check_labels(owner: str, label: torch.Tensor,
                 num_classes: int) -> torch.Tensor:
    """Check that integer labels lie in ``[0, num_classes)``.

    One ``aminmax`` over the ``N`` labels, not a pass over the logits. CPU
    labels are read at once (under ``torch.distributed`` every rank raises
    if any rank's labels are out of range). Elsewhere the check is a
    device-side assert (``torch._assert_async``): no host sync, and it
    fires before the loss kernels would index with a bad label.

    Returns:
        torch.Tensor: The labels as int64.
    """
    label = label.long()
    if not label.numel() or not has_data(label):
        return label
    low, high = torch.aminmax(label)
    ok = (low >= 0) & (high < num_classes)
    message = f'{owner}: labels must lie in [0, {num_classes})'
    if label.device.type != 'cpu':
        torch._assert_async(ok, message)
        return label
    if not ok:  # this rank's range; other ranks only learn where it failed
        message += f', got range [{int(low)}, {int(high)}]'
    check_on_all_ranks(~ok, message)
    return label


def read_target(
    owner: str,
    cls_score: torch.Tensor,
    label: torch.Tensor,
    allow_soft: bool = True
) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """Read hard labels ``(N, )`` or soft targets ``(N, C)`` without building
    a one-hot matrix.

    Same checks and errors as :func:`prepare_target`, for losses that
    compute the hard-label case with ``gather``/``F.cross_entropy``.

    Returns:
        tuple[torch.Tensor | None, torch.Tensor | None]: The integer labels
        ``(N, )`` and None for hard labels (or exactly one-hot targets when
        ``allow_soft`` is False); None and the soft targets ``(N, C)`` in
        ``cls_score``'s dtype otherwise.
    """
    if (cls_score.dim() == 2 and label.dim() == 1
            and label.size(0) == cls_score.size(0)):
        if label.is_floating_point() or label.is_complex():
            raise TypeError(f'{owner}: hard labels must be integer class '
                            f'indices, got dtype {label.dtype}.')
        return check_labels(owner, label, cls_score.size(1)), None
    target, hard = prepare_target(owner, cls_score, label, allow_soft)
    if hard is not None:
        return hard, None
    return None, target


def check_finite_loss(owner: str, loss: torch.Tensor, what: str,
                      hint: str) -> None:
    """Raise a clear error if a per-sample loss ``(N, )`` is not finite.

    The cheap stand-in for :func:`check_finite` on the ``(N, C)`` logits
    (one pass over ``N`` values instead of ``N * C``): non-finite logits
    (inf/NaN inputs, or an offset that overflows once added) make the loss
    inf/NaN. The one exception is a ``-inf`` logit of a class that is not
    the target, which only means a zero probability: the loss and its
    gradient stay finite and are accepted.

    Cheap and safe under ``torch.distributed``
    (:func:`~mmlt.models.losses.runtime_checks.check_on_all_ranks`): every
    rank raises when any rank's loss is not finite, and on an accelerator
    the flag is read once every few steps, not at every step. Under
    autocast (mixed-precision training) nothing is raised: the grad scaler
    skips the step.

    Args:
        owner (str): The loss name, used in the message.
        loss (torch.Tensor): The per-sample losses.
        what (str): What the losses are.
        hint (str): How to fix it.
    """
    if not loss.numel() or non_finite_is_handled(loss):
        return
    check_on_all_ranks(~torch.isfinite(loss).all(),
                       f'{owner}: {what} are not finite; {hint}')


def check_finite(owner: str, tensor: torch.Tensor, what: str,
                 hint: str) -> None:
    """Raise a clear error if ``tensor`` has non-finite entries.

    For set-up values (offsets from the class counts, weights), read at
    once on this rank; per-step losses use :func:`check_finite_loss`.

    Args:
        owner (str): The loss name, used in the message.
        tensor (torch.Tensor): The tensor to check.
        what (str): What the tensor is.
        hint (str): How to fix it.
    """
    if has_data(tensor) and not torch.isfinite(tensor).all():
        raise ValueError(f'{owner}: {what} are not finite; {hint}')


def _sample_weight(weight: Optional[torch.Tensor], loss: torch.Tensor,
                   owner: str) -> Optional[torch.Tensor]:
    if weight is None:
        return None
    if weight.dim() != 1 or weight.size(0) != loss.size(0):
        raise ValueError(f'{owner}: `weight` must be one weight per sample, '
                         f'shape ({loss.size(0)}, ), got '
                         f'{tuple(weight.shape)}.')
    weight = weight.to(loss)
    # Broadcast over the class dimension of element-wise losses.
    return weight.reshape(-1, *([1] * (loss.dim() - 1)))


def reduce_loss(loss: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                reduction: str = 'mean',
                avg_factor: Optional[float] = None,
                owner: str = 'loss') -> torch.Tensor:
    """Apply per-sample weights and reduce, the mmpretrain way.

    A thin wrapper of :func:`mmpretrain.models.losses.utils.
    weight_reduce_loss` that checks ``weight`` and broadcasts it over the
    class dimension when ``loss`` is element-wise ``(N, C)``.

    Args:
        loss (torch.Tensor): Per-sample ``(N, )`` or element-wise ``(N, C)``
            losses.
        weight (torch.Tensor, optional): Per-sample weights ``(N, )``.
            Defaults to None.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
        avg_factor (float, optional): Divisor of the sum for ``'mean'``.
            Defaults to None (the number of elements).
        owner (str): The loss name, used in messages. Defaults to ``'loss'``.

    Returns:
        torch.Tensor: The reduced loss.
    """
    return weight_reduce_loss(
        loss,
        weight=_sample_weight(weight, loss, owner),
        reduction=reduction,
        avg_factor=avg_factor)


def class_weighted_reduce(loss: torch.Tensor,
                          class_weight: torch.Tensor,
                          weight: Optional[torch.Tensor] = None,
                          reduction: str = 'mean',
                          avg_factor: Optional[float] = None,
                          owner: str = 'loss') -> torch.Tensor:
    """Reduce class-weighted per-sample losses with PyTorch's semantics.

    Like ``F.cross_entropy(weight=...)``, the mean divides by the total class
    weight of the batch, ``sum_i c_i * l_i / sum_i c_i`` with ``c_i`` the
    class weight of sample ``i``. mmpretrain's ``ClsHead`` always passes
    ``avg_factor=N`` (the batch size); ``avg_factor`` is read as a number of
    samples, so the divisor becomes ``avg_factor * mean_i c_i``, which is
    ``sum_i c_i`` for ``avg_factor=N``. Per-sample ``weight`` multiplies the
    losses but, as in mmpretrain, not the divisor.

    Args:
        loss (torch.Tensor): Class-weighted per-sample losses ``c_i * l_i``,
            shape ``(N, )``.
        class_weight (torch.Tensor): The class weight ``c_i`` of each sample
            ``(N, )`` (for soft targets, the target-weighted class weight).
        weight (torch.Tensor, optional): Per-sample weights ``(N, )``.
            Defaults to None.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
            Defaults to ``'mean'``.
        avg_factor (float, optional): Number of samples to average over.
            Defaults to None (the batch size).
        owner (str): The loss name, used in messages. Defaults to ``'loss'``.

    Returns:
        torch.Tensor: The reduced loss.
    """
    sample_weight = _sample_weight(weight, loss, owner)
    if sample_weight is not None:
        loss = loss * sample_weight
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        if avg_factor is not None:
            raise ValueError(f'{owner}: avg_factor can not be used with '
                             f'reduction="sum".')
        return loss.sum()
    if avg_factor is None:
        return loss.sum() / class_weight.sum()
    return loss.sum() / (avg_factor * class_weight.mean())


def as_class_weight(
    owner: str, class_weight: Union[Sequence[float], torch.Tensor, None]
) -> Optional[torch.Tensor]:
    """Validate per-class weights and return them as a float32 tensor.

    Args:
        owner (str): The loss name, used in messages.
        class_weight (Sequence[float] | torch.Tensor, optional): One
            non-negative weight per class, or None.

    Returns:
        torch.Tensor | None: The weights, shape ``(C, )``.
    """
    if class_weight is None:
        return None
    weight = torch.as_tensor(
        class_weight.detach()
        if isinstance(class_weight, torch.Tensor) else class_weight,
        dtype=torch.float32).cpu()
    if weight.dim() != 1 or weight.numel() == 0:
        raise ValueError(f'{owner}: class_weight must be a non-empty 1-D '
                         f'sequence with one weight per class, got shape '
                         f'{tuple(weight.shape)}.')
    if not torch.isfinite(weight).all() or (weight < 0).any():
        raise ValueError(f'{owner}: class_weight must be finite and '
                         f'non-negative, got {weight.tolist()}.')
    return weight


def module_device(module: nn.Module) -> Optional[torch.device]:
    """The device of a module's first tensor, or None if it has none."""
    for tensor in list(module.parameters()) + list(module.buffers()):
        return tensor.device
    return None


def set_buffer(module: nn.Module, name: str,
               value: Optional[torch.Tensor]) -> None:
    """(Re-)register a non-persistent buffer on the module's device.

    Derived per-class quantities (weights, margins, priors) are recomputed
    from the counts, which the checkpoint meta already persists, so they are
    kept out of the state dict.
    """
    if value is not None:
        device = module_device(module)
        if device is not None:
            value = value.to(device)
    module.register_buffer(name, value, persistent=False)


class ClassWeightMixin:
    """A loss whose per-class weights can be set at run time.

    Deferred re-weighting (DRW) swaps uniform weights for class-balanced ones
    during training by calling :meth:`set_class_weight` from a hook. The
    weights are a non-persistent buffer: the hook sets them again on resume.
    """

    def set_class_weight(self,
                         class_weight: Union[Sequence[float], torch.Tensor,
                                             None]) -> None:
        """Set the per-class weights.

        Args:
            class_weight (Sequence[float] | torch.Tensor, optional): One
                non-negative weight per class; None removes the weighting.
        """
        name = type(self).__name__
        class_weight = as_class_weight(name, class_weight)
        counts = getattr(self, 'class_counts', None)
        if (class_weight is not None and counts is not None
                and class_weight.numel() != counts.numel()):
            raise ValueError(
                f'{name}: class_weight has {class_weight.numel()} entries '
                f'but class_counts has {counts.numel()}; give one weight '
                f'per class.')
        set_buffer(self, 'class_weight', class_weight)

    def sample_class_weight(self, cls_score: torch.Tensor,
                            target: torch.Tensor) -> Optional[torch.Tensor]:
        """The class weight of each sample, or None if unweighted.

        Args:
            cls_score (torch.Tensor): The logits ``(N, C)``.
            target (torch.Tensor): The target distribution ``(N, C)``.

        Returns:
            torch.Tensor | None: ``target @ class_weight``, shape ``(N, )``.
        """
        if self.class_weight is None:
            return None
        check_num_classes(
            type(self).__name__, cls_score, self.class_weight.numel(),
            'class_weight')
        return target @ buffer_like(self, 'class_weight', cls_score)


def check_class_counts(module: nn.Module, cls_score: torch.Tensor) -> None:
    """Check that a :class:`~mmlt.utils.ClassCountsMixin` loss has counts
    and that they match the logits.

    Raises the mixin's error (how to provide counts) when none were set, and
    a ValueError naming the loss when their length is not ``C``.

    Args:
        module (nn.Module): The loss.
        cls_score (torch.Tensor): The logits ``(N, C)``.
    """
    counts = module.get_class_counts(device=cls_score.device)
    check_num_classes(
        type(module).__name__, cls_score, counts.numel(), 'class_counts')


def buffer_like(module: nn.Module, name: str,
                cls_score: torch.Tensor) -> torch.Tensor:
    """A derived buffer on ``cls_score``'s device, in its dtype.

    A loss built without counts holds no tensor, so ``model.to(device)``
    cannot move it and the counts set later land on the CPU; the buffer is
    moved to the logits' device once here instead of at every step.
    """
    value = getattr(module, name)
    if value.device != cls_score.device:
        value = value.to(cls_score.device)
        module.register_buffer(name, value, persistent=False)
    return value.to(cls_score.dtype)
