# Copyright (c) mmlt contributors. All rights reserved.
import os.path as osp
from typing import Optional, Tuple

from mmengine.fileio import exists, list_from_file
from mmpretrain.registry import DATASETS

from .imagenet_lt import ImageNetLT

#: The Places365 devkit's class list, ``/a/airfield 0`` per line.
PLACES365_CATEGORIES_FILE = 'categories_places365.txt'


@DATASETS.register_module()
class PlacesLT(ImageNetLT):
    """Places-LT (Liu et al., "Large-Scale Long-Tailed Recognition in an
    Open World", CVPR 2019).

    A long-tailed subset of Places365-Standard: 62,500 training images in 365
    classes (4,980 down to 5 per class), a balanced validation split of 20
    images per class and a test split of 100 per class from the Places365
    validation set. The splits are the ``Places_LT_{train,val,test}.txt``
    lists released with OLTR, in the format and with the split names of
    :class:`ImageNetLT`; their paths are relative to ``data_root``, which
    holds the Places365-Standard images (256x256 version) as the lists name
    them.

    The class names come from the devkit's ``categories_places365.txt`` when
    it is in ``data_root`` (``/a/airfield 0`` becomes ``'airfield'``), and
    are the class indices otherwise.

    Args:
        data_root (str): The folder of the lists and images. Defaults to ''.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        ann_file (str): The list; replaces the one of ``split``. Defaults to
            '' (``Places_LT_{split}.txt`` in ``data_root``).
        **kwargs: Other arguments of :class:`LabelListDataset`.
    """

    METAINFO = {}
    LIST_NAME = 'Places_LT_{}.txt'
    NUM_CLASSES = 365

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 classes=None,
                 num_classes: int = NUM_CLASSES,
                 **kwargs):
        if classes is None and not (metainfo or {}).get('classes'):
            classes = self._devkit_classes(data_root)
        super().__init__(
            data_root=data_root,
            split=split,
            ann_file=ann_file,
            metainfo=metainfo,
            classes=classes,
            num_classes=num_classes,
            **kwargs)

    @staticmethod
    def _devkit_classes(data_root: str) -> Optional[Tuple[str, ...]]:
        path = osp.join(data_root, PLACES365_CATEGORIES_FILE)
        if not data_root or not exists(path):
            return None
        names = []
        for line in list_from_file(path):
            if line.strip():
                # '/a/apartment_building/outdoor 8': drop the letter folder.
                name = line.rsplit(maxsplit=1)[0].strip('/')
                names.append(name.split('/', 1)[-1])
        return tuple(names)
