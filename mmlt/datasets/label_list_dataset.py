# Copyright (c) mmlt contributors. All rights reserved.
from typing import List, Optional, Union

from mmengine.fileio import get_file_backend, list_from_file
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .file_checks import report_missing_images, require_file


@DATASETS.register_module()
class LabelListDataset(BaseDataset):
    """Images listed with their labels, one ``relative/path label`` per line.

    This is the format of the long-tailed benchmark lists of Liu et al.
    (CVPR 2019, ImageNet-LT and Places-LT) and of the community's
    iNaturalist lists, e.g. ::

        train/n01440764/n01440764_10026.JPEG 0
        train/n01440764/n01440764_10027.JPEG 0

    Paths are relative to ``data_prefix`` (by default ``data_root``); the
    label is the class index. Unlike :class:`mmpretrain.datasets.
    CustomDataset`, every line is checked when the list is loaded: a line
    without an integer label, a label outside the classes or an image that
    is not on disk raises an error that names the list file and line.

    Args:
        ann_file (str): The list, relative to ``data_root`` unless absolute.
        data_root (str): The root of the list and the images. Defaults to
            ''.
        data_prefix (str | dict): The folder the paths are relative to,
            under ``data_root``. Defaults to '' (``data_root`` itself).
        num_classes (int, optional): The number of classes when ``metainfo``
            names none. Defaults to None (the largest label plus one).
        check_files (bool): Whether to check that every listed image exists.
            Defaults to True.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.
            BaseDataset` (``metainfo``, ``classes``, ``pipeline``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 data_root: str = '',
                 data_prefix: Union[str, dict] = '',
                 num_classes: Optional[int] = None,
                 check_files: bool = True,
                 **kwargs):
        self.num_classes = num_classes
        self.check_files = check_files
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read and check the list."""
        name = type(self).__name__
        require_file(
            self.ann_file, name, 'download the list (see the README, '
            'section "Data") or set ann_file / data_root.')
        classes = self._metainfo.get('classes')
        num_classes = len(classes) if classes else self.num_classes
        backend = get_file_backend(self.img_prefix, enable_singleton=True)
        data_list, missing = [], []
        # list_from_file keeps blank lines, so positions are line numbers.
        for lineno, line in enumerate(list_from_file(self.ann_file), 1):
            line = line.strip()
            if not line:
                continue
            fields = line.rsplit(maxsplit=1)
            where = f'{self.ann_file}:{lineno}'
            if len(fields) != 2 or not fields[1].isdigit():
                raise ValueError(
                    f'{where}: expected "relative/path label" with an '
                    f'integer label, got {line!r}; fix the line or use the '
                    f'original list.')
            path, label = fields[0], int(fields[1])
            if num_classes is not None and label >= num_classes:
                raise ValueError(
                    f'{where}: label {label} is outside 0..{num_classes - 1} '
                    f'({name} has {num_classes} classes); the list belongs '
                    f'to another dataset, or set metainfo/classes to its '
                    f'classes.')
            img_path = backend.join_path(self.img_prefix, path)
            if self.check_files and not backend.exists(img_path):
                missing.append((where, path))
            data_list.append(dict(img_path=img_path, gt_label=label))
        if not data_list:
            raise ValueError(f'{self.ann_file}: the list has no image.')
        report_missing_images(missing, len(data_list), self.ann_file,
                              self.img_prefix)
        if not classes:
            num_classes = num_classes or 1 + max(d['gt_label']
                                                 for d in data_list)
            self._metainfo['classes'] = tuple(
                str(i) for i in range(num_classes))
        return data_list
