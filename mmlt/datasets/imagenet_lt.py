# Copyright (c) mmlt contributors. All rights reserved.
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from mmpretrain.registry import DATASETS

from .label_list_dataset import LabelListDataset


@DATASETS.register_module()
class ImageNetLT(LabelListDataset):
    """ImageNet-LT (Liu et al., "Large-Scale Long-Tailed Recognition in an
    Open World", CVPR 2019).

    A long-tailed subset of ImageNet-2012: 115,846 training images in 1,000
    classes (1,280 down to 5 per class), a balanced validation split of 20
    images per class taken from the ImageNet training set and the balanced
    ImageNet validation set (50 per class) as test split. The splits are the
    lists released with OLTR; the images are ImageNet's own::

        data/imagenet
        ├── ImageNet_LT_train.txt
        ├── ImageNet_LT_val.txt
        ├── ImageNet_LT_test.txt
        ├── train/n01440764/*.JPEG
        └── val/n01440764/*.JPEG    (validation images in class folders)

    with list lines such as ``train/n01440764/n01440764_10026.JPEG 0``
    (train and val) and ``val/n01440764/ILSVRC2012_val_00000293.JPEG 0``
    (test).

    The labels follow the usual ImageNet class order, so the class names are
    mmpretrain's ``IMAGENET_CATEGORIES``.

    Args:
        data_root (str): The folder of the lists and images. Defaults to ''.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        ann_file (str): The list; replaces the one of ``split``. Defaults to
            '' (``ImageNet_LT_{split}.txt`` in ``data_root``).
        **kwargs: Other arguments of :class:`LabelListDataset`.
    """

    METAINFO = {'classes': IMAGENET_CATEGORIES}
    SPLITS = ('train', 'val', 'test')
    LIST_NAME = 'ImageNet_LT_{}.txt'

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: str = '',
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of '
                             f'{self.SPLITS}, got {split!r}.')
        self.split = split
        super().__init__(
            ann_file=ann_file or self.LIST_NAME.format(split),
            data_root=data_root,
            **kwargs)
