# Copyright (c) mmlt contributors. All rights reserved.
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

from .long_tail_profiles import counts_by_class, long_tail_counts

SPLIT_FILE_HEADER = '# mmlt long-tail split v1'


def select_long_tail_indices(labels: np.ndarray,
                             counts: Sequence[int],
                             seed: int,
                             exclude: Optional[np.ndarray] = None
                             ) -> np.ndarray:
    """Pick ``counts[c]`` indices of each class ``c`` without replacement.

    Every index gets a key from the raw output of a seeded PCG64 generator,
    whose stream numpy guarantees to be identical on every machine and
    version (unlike ``Generator.choice``). A class keeps its indices with the
    smallest keys, so the same seed gives nested splits: a class's images at
    a higher imbalance are a subset of those at a lower one.

    Images in ``exclude`` (the development split) are never picked; the
    others keep their keys, so without exclusions the result is unchanged.

    Args:
        labels (np.ndarray): Label of every image, shape ``(N, )``.
        counts (Sequence[int]): Images to keep per class index.
        seed (int): The seed.
        exclude (np.ndarray, optional): Indices that must not be picked.
            Defaults to None.

    Returns:
        np.ndarray: Sorted indices into ``labels``.
    """
    labels = np.array(labels, dtype=np.int64)
    keys = np.random.PCG64(seed).random_raw(labels.size)
    if exclude is not None:
        # Relabelled -1, they sort before class 0 and fall in no class.
        labels[np.asarray(exclude, dtype=np.int64)] = -1
    # Sort by (label, key) once instead of once per class.
    order = np.lexsort((keys, labels))
    classes = np.arange(len(counts))
    starts = np.searchsorted(labels[order], classes)
    ends = np.searchsorted(labels[order], classes, side='right')
    short = np.flatnonzero(np.asarray(counts) > ends - starts)
    if short.size:
        c = short[0]
        raise ValueError(f'class {c} has {ends[c] - starts[c]} images to '
                         f'pick from, {counts[c]} requested.')
    chosen = [order[s:s + int(n)] for s, n in zip(starts, counts)]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(
        0, dtype=np.int64)


@DATASETS.register_module()
class LongTailDataset:
    """Sub-sample a single-label dataset into a long-tailed one.

    The wrapped dataset keeps its own loading and pipeline; this wrapper only
    chooses which of its images are used. Class counts follow a profile:

    - ``'exp'``: rank ``i`` keeps ``floor(n_max * IF ** (-i / (C - 1)))``
      (CIFAR-10-LT at IF 100 keeps 12,406 images, CIFAR-100-LT 10,847).
    - ``'step'``: ``round(C * head_ratio)`` ranks keep ``n_max``, the rest
      ``floor(n_max / IF)``.
    - explicit ``counts=[...]`` by class index.
    - ``None``: every image is kept, for datasets that are long-tailed
      already (ImageNet-LT, Places-LT, iNaturalist); the wrapper then only
      takes out the development split.

    Images are drawn without replacement with a seed, identically on every
    machine (see :func:`select_long_tail_indices`). The chosen indices can be
    written with :meth:`dump_split` and re-loaded with ``split_file=``, which
    then replaces the profile. Wrap only training sets: evaluation splits
    stay balanced.

    A balanced development split (the meta-learning set of Jamal et al.,
    CVPR 2020) is taken out of the pool *before* sub-sampling:
    ``dev_per_class=K`` sets aside ``K`` images of every class, drawn the
    same way with ``dev_seed``; ``split='dev'`` returns those images and
    ``split='train'`` the long-tailed set drawn from the rest, so the two are
    disjoint for any profile and ``seed``. Both can be exported with
    :meth:`dump_split`.

    Args:
        dataset (dict | BaseDataset): The dataset to sub-sample, or its
            config.
        imbalance_factor (float): ``n_max / n_min``, at least 1. Defaults to
            100.
        profile (str, optional): ``'exp'``, ``'step'`` or None (keep every
            image). Defaults to ``'exp'``.
        max_count (int, optional): Images of the head class. Defaults to None
            (all images of the head class).
        counts (Sequence[int], optional): Explicit images per class index;
            replaces ``profile``. Defaults to None.
        class_order (Sequence[int], optional): ``class_order[r]`` is the class
            of rank ``r``, so ``class_order[0]`` is the head. Defaults to None
            (class ``i`` has rank ``i``).
        head_ratio (float): Fraction of head classes of the step profile.
            Defaults to 0.5.
        seed (int): Seed of the draw. Defaults to 0.
        split_file (str, optional): A split written by :meth:`dump_split`;
            replaces the profile and counts. Defaults to None.
        dev_per_class (int): Images per class set aside as the balanced
            development split before sub-sampling. Defaults to 0 (none).
        dev_seed (int): Seed of the development split, separate from
            ``seed`` so that training splits of any seed exclude the same
            development images. Defaults to 0.
        split (str): ``'train'`` (the long-tailed set) or ``'dev'`` (the
            development split). Defaults to ``'train'``.
        lazy_init (bool): Defer loading until :meth:`full_init`. Defaults to
            False.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 imbalance_factor: float = 100.,
                 profile: Optional[str] = 'exp',
                 max_count: Optional[int] = None,
                 counts: Optional[Sequence[int]] = None,
                 class_order: Optional[Sequence[int]] = None,
                 head_ratio: float = 0.5,
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 dev_per_class: int = 0,
                 dev_seed: int = 0,
                 split: str = 'train',
                 lazy_init: bool = False):
        if not imbalance_factor >= 1:
            raise ValueError(
                f'LongTailDataset: imbalance_factor must be >= 1 (n_max / '
                f'n_min), got {imbalance_factor}; use 1 for a balanced subset.'
            )
        if split not in ('train', 'dev'):
            raise ValueError(f"LongTailDataset: split must be 'train' or "
                             f"'dev', got {split!r}.")
        if not (isinstance(dev_per_class,
                           (int, np.integer)) and dev_per_class >= 0):
            raise ValueError(
                f'LongTailDataset: dev_per_class must be a non-negative int '
                f'(images per class of the development split), got '
                f'{dev_per_class!r}.')
        if split == 'dev' and dev_per_class == 0:
            raise ValueError(
                "LongTailDataset: split='dev' needs dev_per_class > 0 (the "
                'development images per class).')
        if isinstance(dataset, dict):
            _check_data_root(dataset)
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self.imbalance_factor = imbalance_factor
        self.profile = profile
        self.max_count = max_count
        self.counts = None if counts is None else [int(c) for c in counts]
        self.class_order = class_order
        self.head_ratio = head_ratio
        self.seed = seed
        self.split_file = split_file
        self.dev_per_class = int(dev_per_class)
        self.dev_seed = dev_seed
        self.split = split
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """dict: The meta information of the wrapped dataset."""
        return dict(self._metainfo)

    @property
    def pipeline(self):
        """The wrapped dataset's pipeline (tools such as mmpretrain's
        ``browse_dataset.py`` read and replace it)."""
        return self.dataset.pipeline

    @pipeline.setter
    def pipeline(self, pipeline) -> None:
        self.dataset.pipeline = pipeline

    def full_init(self) -> None:
        """Load the wrapped dataset and choose the long-tailed subset."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        base_labels = self._base_labels()
        if self.split_file is not None:
            self.indices = self._load_split(self.split_file, base_labels)
            if self.split == 'train' and self.dev_per_class:
                self._check_no_dev(base_labels)
        elif self.split == 'dev':
            self.indices = self.dev_indices(base_labels)
        else:
            target = self.target_counts(base_labels)
            self.indices = select_long_tail_indices(
                base_labels,
                target,
                self.seed,
                exclude=self.dev_indices(base_labels))
        self._labels = base_labels[self.indices]
        self._fully_initialized = True

    def dev_indices(self, base_labels: np.ndarray) -> np.ndarray:
        """Indices of the development split in the wrapped dataset.

        Args:
            base_labels (np.ndarray): Labels of the wrapped dataset.

        Returns:
            np.ndarray: Sorted indices, ``dev_per_class`` of every class
            (none without a development split).
        """
        return select_long_tail_indices(base_labels,
                                        self.dev_counts(base_labels),
                                        self.dev_seed)

    def dev_counts(self, base_labels: np.ndarray) -> List[int]:
        """Images per class index set aside as the development split, checked
        against what exists.

        Args:
            base_labels (np.ndarray): Labels of the wrapped dataset.

        Returns:
            list[int]: ``dev_per_class`` for every class.
        """
        num_classes = self._num_classes(base_labels)
        available = np.bincount(base_labels, minlength=num_classes)
        classes = self._class_names(num_classes)
        for cls, have in enumerate(available):
            if self.dev_per_class > have:
                raise ValueError(
                    f'LongTailDataset: class {cls} ({classes[cls]!r}) has '
                    f'{have} images in {type(self.dataset).__name__}, fewer '
                    f'than dev_per_class={self.dev_per_class}; lower '
                    f'dev_per_class or check that the dataset is complete.')
        return [self.dev_per_class] * num_classes

    def target_counts(self, base_labels: np.ndarray) -> List[int]:
        """Training images to keep per class index, checked against what
        exists once the development split is set aside.

        Args:
            base_labels (np.ndarray): Labels of the wrapped dataset.

        Returns:
            list[int]: Counts by class index.
        """
        num_classes = self._num_classes(base_labels)
        available = np.bincount(base_labels, minlength=num_classes)
        available = available - np.asarray(self.dev_counts(base_labels))
        classes = self._class_names(num_classes)
        after_dev = (f' after dev_per_class={self.dev_per_class} were set '
                     f'aside' if self.dev_per_class else '')
        if self.counts is None and self.profile is None:
            empty = np.flatnonzero(available == 0).tolist()
            if empty:
                # iNaturalist 2018 has classes of 2 images, all of which a
                # development split of 2 per class takes.
                MMLogger.get_current_instance().warning(
                    f'LongTailDataset: {len(empty)} classes have no training '
                    f'image{after_dev} (first: {empty[0]} '
                    f'{classes[empty[0]]!r}); components that need positive '
                    f'class counts will refuse them.')
            return available.tolist()
        if self.counts is not None:
            if len(self.counts) != num_classes:
                raise ValueError(
                    f'LongTailDataset: `counts` has {len(self.counts)} '
                    f'entries but {type(self.dataset).__name__} has '
                    f'{num_classes} classes; give one count per class.')
            target = list(self.counts)
        else:
            head = 0 if self.class_order is None else int(self.class_order[0])
            max_count = self.max_count or int(available[head])
            by_rank = long_tail_counts(self.profile, num_classes, max_count,
                                       self.imbalance_factor, self.head_ratio)
            target = counts_by_class(by_rank, self.class_order)
        for cls, (want, have) in enumerate(zip(target, available)):
            if want < 1:
                raise ValueError(
                    f'LongTailDataset: class {cls} ({classes[cls]!r}) would '
                    f'keep {want} images (profile={self.profile!r}, '
                    f'imbalance_factor={self.imbalance_factor}, '
                    f'max_count={self.max_count}); lower imbalance_factor or '
                    f'raise max_count so every class keeps at least one.')
            if want > have:
                raise ValueError(
                    f'LongTailDataset: class {cls} ({classes[cls]!r}) needs '
                    f'{want} images but {type(self.dataset).__name__} has '
                    f'only {have}{after_dev}; lower max_count or the '
                    f'counts.')
        return target

    @property
    def class_counts(self) -> np.ndarray:
        """np.ndarray: Images per class index in the long-tailed subset."""
        self.full_init()
        return np.bincount(
            self._labels, minlength=self._num_classes(self._labels))

    def get_gt_labels(self) -> np.ndarray:
        """np.ndarray: The label of every image of the subset."""
        self.full_init()
        return self._labels.copy()

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category ids of image ``idx``."""
        self.full_init()
        return [int(self._labels[idx])]

    def get_data_info(self, idx: int) -> dict:
        """Annotation of image ``idx`` (of the wrapped dataset)."""
        self.full_init()
        return self.dataset.get_data_info(int(self.indices[idx]))

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        return self.dataset[int(self.indices[idx])]

    def __len__(self) -> int:
        self.full_init()
        return len(self.indices)

    def dump_split(self, path: str, overwrite: bool = False) -> None:
        """Write the chosen indices as a split file.

        Each line is ``<index in the wrapped dataset> <label>``; comment lines
        record how the split was made.

        Args:
            path (str): Output file.
            overwrite (bool): Replace an existing file. Defaults to False.
        """
        self.full_init()
        if osp.exists(path) and not overwrite:
            raise FileExistsError(
                f'{path} exists; choose another path or pass overwrite=True '
                f'(--overwrite) to replace it.')
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        made_by = (f'profile={self.profile} imbalance_factor='
                   f'{self.imbalance_factor} max_count={self.max_count} '
                   f'seed={self.seed}' if self.counts is None else
                   f'counts={self.counts} seed={self.seed}')
        made_by += (f' split={self.split} dev_per_class={self.dev_per_class}'
                    f' dev_seed={self.dev_seed}')
        with open(path, 'w') as f:
            f.write(f'{SPLIT_FILE_HEADER}\n')
            f.write(f'# dataset: {type(self.dataset).__name__} with '
                    f'{len(self.dataset)} images\n# {made_by}\n')
            f.write(f'# class counts: {self.class_counts.tolist()}\n')
            for index, label in zip(self.indices, self._labels):
                f.write(f'{index} {label}\n')

    def _load_split(self, path: str, base_labels: np.ndarray) -> np.ndarray:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'LongTailDataset: split_file {path!r} does not exist; write '
                f'one with tools/dataset_converters/make_long_tail_split.py '
                f'or remove `split_file` to draw the split from the profile.')
        indices = []
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                fields = line.split()
                if len(fields) != 2 or not all(
                        x.lstrip('-').isdigit() for x in fields):
                    raise ValueError(
                        f'{path}:{lineno}: expected "<index> <label>", got '
                        f'{line!r}; fix or regenerate the split file.')
                index, label = int(fields[0]), int(fields[1])
                if not 0 <= index < base_labels.size:
                    raise ValueError(
                        f'{path}:{lineno}: index {index} is outside the '
                        f'wrapped dataset (0..{base_labels.size - 1}); the '
                        f'file was made for another dataset.')
                if base_labels[index] != label:
                    raise ValueError(
                        f'{path}:{lineno}: image {index} has label '
                        f'{base_labels[index]} in the wrapped dataset but '
                        f'{label} in the file; the file was made for another '
                        f'dataset or class order.')
                indices.append(index)
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            raise ValueError(f'{path}: the split file lists no image.')
        unique, first = np.unique(indices, return_counts=True)
        if unique.size != indices.size:
            raise ValueError(f'{path}: index {unique[first > 1][0]} is listed '
                             f'more than once.')
        return np.sort(indices)

    def _check_no_dev(self, base_labels: np.ndarray) -> None:
        """A training split file must not hold development images."""
        shared = np.intersect1d(self.indices, self.dev_indices(base_labels))
        if shared.size:
            raise ValueError(
                f'{self.split_file}: image {shared[0]} (and {shared.size - 1} '
                f'more) belongs to the development split of dev_per_class='
                f'{self.dev_per_class}, dev_seed={self.dev_seed}; regenerate '
                f'the training split with the same dev_per_class and '
                f'dev_seed.')

    def _class_names(self, num_classes: int) -> List[str]:
        return list(
            self._metainfo.get('classes')
            or [str(i) for i in range(num_classes)])

    def _base_labels(self) -> np.ndarray:
        if hasattr(self.dataset, 'get_gt_labels'):
            return np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        return np.asarray(
            [self.dataset.get_cat_ids(i)[0] for i in range(len(self.dataset))],
            dtype=np.int64)

    def _num_classes(self, labels: np.ndarray) -> int:
        classes = self._metainfo.get('classes')
        return len(classes) if classes else int(labels.max()) + 1

    def __repr__(self) -> str:
        head = f'Dataset {type(self).__name__}'
        if not self._fully_initialized:
            return f'{head}\n    (not fully initialized)'
        return (f'{head}\n    Number of samples: {len(self)}\n'
                f'    Split: {self.split} (dev_per_class='
                f'{self.dev_per_class})\n'
                f'    Class counts: {self.class_counts.tolist()}\n'
                f'    Wrapped: {type(self.dataset).__name__}')


def _check_data_root(cfg: dict) -> None:
    """Fail early, with the fix, when a local ``data_root`` is missing."""
    data_root = cfg.get('data_root')
    if data_root and '://' not in str(data_root) and not osp.isdir(data_root):
        raise FileNotFoundError(
            f'LongTailDataset: `dataset.data_root` of {cfg.get("type")} is '
            f'{data_root!r}, which does not exist. Prepare the data there '
            f'(README, section "Data": `make data` for Fashion-MNIST) or set '
            f'`data_root` in the config (e.g. --cfg-options '
            f'train_dataloader.dataset.dataset.data_root=PATH).')
