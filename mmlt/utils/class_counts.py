# Copyright (c) mmlt contributors. All rights reserved.
"""Per-class training counts: validation, counting and the consumer mixin.

Every mmlt component that depends on the training distribution (re-weighted
losses, margin heads, the long-tail metric's shot groups, ...) inherits
:class:`ClassCountsMixin`. It either receives ``class_counts=`` explicitly or
is handed the counts of the training set by
:class:`mmlt.engine.hooks.ClassCountsHook`, which is the one mechanism that
feeds them before training, on resume and in test-only runs.
"""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

CountsLike = Union[Sequence[int], np.ndarray, torch.Tensor]


def as_class_counts(counts: CountsLike,
                    num_classes: Optional[int] = None,
                    owner: str = 'class_counts',
                    allow_zero: bool = False) -> torch.Tensor:
    """Validate per-class counts and return them as an int64 CPU tensor.

    Args:
        counts (Sequence[int] | np.ndarray | torch.Tensor): One training
            count per class.
        num_classes (int, optional): The expected number of classes. Defaults
            to None (not checked).
        owner (str): Who receives the counts, used in error messages.
            Defaults to ``'class_counts'``.
        allow_zero (bool): Whether a class may have no training image.
            Defaults to False.

    Returns:
        torch.Tensor: The counts, shape ``(C, )``, dtype int64.
    """
    if isinstance(counts, torch.Tensor):
        array = counts.detach().cpu().numpy()
    else:
        array = np.asarray(counts)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f'{owner}: class_counts must be a non-empty 1-D '
                         f'sequence with one count per class, got shape '
                         f'{tuple(array.shape)}.')
    if not np.all(np.isfinite(array.astype(np.float64))):
        raise ValueError(f'{owner}: class_counts contains non-finite values: '
                         f'{array.tolist()}.')
    if np.any(array != np.round(array)) or np.any(array < 0):
        raise ValueError(f'{owner}: class_counts must be non-negative '
                         f'integers, got {array.tolist()}.')
    if num_classes is not None and array.size != num_classes:
        raise ValueError(
            f'{owner}: class_counts has {array.size} entries but '
            f'num_classes is {num_classes}; give one count per class (or fix '
            f'num_classes in the config).')
    if not allow_zero and np.any(array == 0):
        zero = np.flatnonzero(array == 0).tolist()
        raise ValueError(
            f'{owner}: classes {zero} have zero training images, but this '
            f'component needs positive counts (it divides by them or takes '
            f'their log); lower the imbalance factor, raise the '
            f'largest class size or drop those classes from the dataset.')
    return torch.as_tensor(array.astype(np.int64))


def count_classes(dataset, num_classes: Optional[int] = None) -> np.ndarray:
    """Count the images of each class in a single-label dataset.

    Args:
        dataset: An mmpretrain-style dataset with ``get_gt_labels()`` or
            ``get_cat_ids(idx)``.
        num_classes (int, optional): The number of classes. Defaults to the
            length of ``dataset.metainfo['classes']`` or, if the dataset has
            no class names, ``max(label) + 1``.

    Returns:
        np.ndarray: The counts, shape ``(C, )``, dtype int64.
    """
    if hasattr(dataset, 'get_gt_labels'):
        labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    else:
        labels = np.asarray(
            [dataset.get_cat_ids(i)[0] for i in range(len(dataset))],
            dtype=np.int64)
    if num_classes is None:
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        num_classes = len(classes) if classes else int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'{type(dataset).__name__}: labels must lie in [0, {num_classes}),'
            f' got range [{labels.min()}, {labels.max()}].')
    return np.bincount(labels, minlength=num_classes).astype(np.int64)


class ClassCountsMixin:
    """A component that needs the training set's per-class counts.

    Call :meth:`init_class_counts` in ``__init__``. Counts passed explicitly
    (``class_counts=`` in the config) are fixed; otherwise
    :class:`~mmlt.engine.hooks.ClassCountsHook` sets them from the training
    set. On an ``nn.Module`` the counts are a non-persistent buffer, so they
    follow ``.to(device)`` but are persisted once, in the checkpoint's meta,
    by the hook.
    """

    #: Whether a class with zero training images is acceptable.
    class_counts_allow_zero: bool = False

    def init_class_counts(self,
                          class_counts: Optional[CountsLike] = None,
                          num_classes: Optional[int] = None) -> None:
        """Initialise the counts.

        Args:
            class_counts (Sequence[int], optional): Explicit counts. When
                given, the hook never overrides them. Defaults to None.
            num_classes (int, optional): Expected number of classes, checked
                against every count vector. Defaults to None.
        """
        self._class_counts_num_classes = num_classes
        self._class_counts_explicit = class_counts is not None
        self._class_counts_cache = {}
        self._store_class_counts(None)
        if class_counts is not None:
            self._store_class_counts(self._check_counts(class_counts))

    @property
    def class_counts_explicit(self) -> bool:
        """bool: Whether the counts were given in the config."""
        return getattr(self, '_class_counts_explicit', False)

    @property
    def has_class_counts(self) -> bool:
        """bool: Whether counts are available."""
        return getattr(self, 'class_counts', None) is not None

    def set_class_counts(self, class_counts: CountsLike) -> bool:
        """Set the counts from the training set.

        Args:
            class_counts (Sequence[int]): One training count per class.

        Returns:
            bool: False if explicit counts were kept, True otherwise.
        """
        if self.class_counts_explicit:
            return False
        self._store_class_counts(self._check_counts(class_counts))
        return True

    def get_class_counts(self,
                         device: Optional[torch.device] = None,
                         dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Return the counts, raising a clear error if none were set.

        Args:
            device (torch.device, optional): Target device. Defaults to None
                (where the counts are stored).
            dtype (torch.dtype): Target dtype. Defaults to ``torch.float32``.

        Returns:
            torch.Tensor: The counts, shape ``(C, )``.
        """
        if not self.has_class_counts:
            raise RuntimeError(
                f'{type(self).__name__} needs the per-class training counts: '
                f'pass `class_counts=[...]` in its config, or train/test '
                f'through a runner with `ClassCountsHook` in `custom_hooks` '
                f'(mmlt\'s configs/_base_/default_runtime.py adds it).')
        counts = self.class_counts
        if device is None:
            return counts.to(dtype=dtype)
        # Cached per device so a loss does not copy the counts every step.
        key = (torch.device(device), dtype)
        cached = self._class_counts_cache.get(key)
        if cached is None:
            cached = counts.to(device=device, dtype=dtype)
            self._class_counts_cache[key] = cached
        return cached

    def class_counts_changed(self) -> None:
        """Called after new counts were stored; override to refresh derived
        state (weights, margins)."""

    def _check_counts(self, class_counts: CountsLike) -> torch.Tensor:
        return as_class_counts(
            class_counts,
            num_classes=getattr(self, '_class_counts_num_classes', None),
            owner=type(self).__name__,
            allow_zero=self.class_counts_allow_zero)

    def _store_class_counts(self, counts: Optional[torch.Tensor]) -> None:
        self._class_counts_cache = {}
        if isinstance(self, nn.Module):
            if counts is not None:
                device = next(
                    (t.device
                     for t in list(self.parameters()) + list(self.buffers())
                     if t is not self._buffers.get('class_counts')), None)
                if device is not None:
                    counts = counts.to(device)
            if 'class_counts' in self._buffers:
                self._buffers['class_counts'] = counts
            else:
                self.register_buffer('class_counts', counts, persistent=False)
        else:
            self.class_counts = counts
        if counts is not None:
            self.class_counts_changed()


class ClassCountsStateMixin(ClassCountsMixin):
    """A module that predicts with the class counts and saves them.

    Heads that use the counts at inference (post-hoc logit adjustment)
    inherit this instead of :class:`ClassCountsMixin`. The counts then
    travel in the module's ``state_dict`` (as PyTorch's extra state, an
    int64 tensor, empty when no counts are set), so a model loaded outside
    a runner (``mmpretrain.get_model``, ``init_model``,
    ``ImageClassificationInferencer``) gets the counts it was trained with;
    under a runner ``ClassCountsHook`` sets them as before.

    Loading never overrides counts that are already set (explicit ones, or
    the training set's counted by ``ClassCountsHook`` before ``load_from``),
    and a checkpoint without the entry (e.g. of a ``LinearClsHead``) loads
    without a missing-key warning.
    """

    def get_extra_state(self) -> torch.Tensor:
        """The counts as an int64 tensor, empty when none are set."""
        if not self.has_class_counts:
            return torch.zeros(0, dtype=torch.int64)
        return self.class_counts.detach().to('cpu', torch.int64).clone()

    def set_extra_state(self, state) -> None:
        """Take the saved counts unless counts are already set."""
        if self.has_class_counts or state is None:
            return
        counts = torch.as_tensor(state)
        if counts.numel():
            self._store_class_counts(self._check_counts(counts))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
        # Checkpoints written before the counts were saved here, or of a
        # head without counts, still load cleanly.
        key = prefix + '_extra_state'
        if key in missing_keys:
            missing_keys.remove(key)
