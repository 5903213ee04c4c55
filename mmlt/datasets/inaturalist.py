# Copyright (c) mmlt contributors. All rights reserved.
from typing import List

from mmengine.fileio import get_file_backend, load
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .file_checks import report_missing_images, require_file


@DATASETS.register_module()
class INaturalist(BaseDataset):
    """The iNaturalist species classification challenge datasets (Van Horn et
    al., CVPR 2018), 2017 and 2018 editions.

    Naturally long-tailed: 2017 has 579,184 training images in 5,089 classes,
    2018 437,513 in 8,142 (1,000 down to 2 per class). The official COCO-style
    annotation files list ``images`` (``id``, ``file_name``),
    ``annotations`` (``image_id``, ``category_id``) and ``categories``
    (``id``, ``name``); file names are relative to ``data_root``::

        data/inaturalist2018
        ├── train2018.json
        ├── val2018.json
        └── train_val2018/Plantae/7477/*.jpg

        data/inaturalist2017
        ├── train2017.json
        ├── val2017.json
        └── train_val_images/Plantae/Abies concolor/*.jpg

    Labels are the categories in increasing ``id`` order (the official ids
    run from 0, so the label is the id); the class names are the categories'
    ``name``. Every image must have exactly one annotation.

    Args:
        data_root (str): The folder of the json files and images. Defaults
            to ''.
        split (str): ``'train'`` or ``'val'`` (the test sets have no labels).
            Defaults to ``'train'``.
        year (int): 2017 or 2018. Defaults to 2018.
        ann_file (str): The annotation file; replaces the one of ``split``
            and ``year``. Defaults to '' (``{split}{year}.json`` in
            ``data_root``).
        check_files (bool): Whether to check that every image exists.
            Defaults to True.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.
            BaseDataset`.
    """

    SPLITS = ('train', 'val')
    YEARS = (2017, 2018)

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 year: int = 2018,
                 ann_file: str = '',
                 check_files: bool = True,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'INaturalist: split must be one of '
                             f'{self.SPLITS}, got {split!r}; the test sets '
                             f'have no labels.')
        if year not in self.YEARS:
            raise ValueError(f'INaturalist: year must be one of {self.YEARS}, '
                             f'got {year!r}.')
        self.split = split
        self.year = year
        self.check_files = check_files
        super().__init__(
            ann_file=ann_file or f'{split}{year}.json',
            data_root=data_root,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the annotation file and check that it is consistent."""
        path = self.ann_file
        require_file(
            path, 'INaturalist', f'download {self.split}{self.year}.json '
            f'from the iNaturalist {self.year} competition (see the README, '
            f'section "Data") or set ann_file / data_root.')
        data = load(path, file_format='json')
        for key in ('images', 'annotations', 'categories'):
            if key not in data:
                raise ValueError(
                    f'{path}: no "{key}" list; expected the official '
                    f'iNaturalist annotation file (images, annotations, '
                    f'categories).')

        categories = sorted(data['categories'], key=lambda c: c['id'])
        label_of = {c['id']: i for i, c in enumerate(categories)}
        if len(label_of) != len(categories):
            raise ValueError(f'{path}: "categories" repeats a category id.')
        classes = self._metainfo.get('classes')
        if classes and len(classes) != len(categories):
            raise ValueError(
                f'{path}: {len(categories)} categories but metainfo names '
                f'{len(classes)} classes; drop the classes override.')
        if not classes:
            self._metainfo['classes'] = tuple(
                str(c.get('name', c['id'])) for c in categories)

        file_of = {img['id']: img['file_name'] for img in data['images']}
        if len(file_of) != len(data['images']):
            raise ValueError(f'{path}: "images" repeats an image id.')
        label_by_image = {}
        for i, ann in enumerate(data['annotations']):
            image_id = ann['image_id']
            where = f'{path}: annotations[{i}] (image_id {image_id})'
            if image_id not in file_of:
                raise ValueError(
                    f'{where} refers to no entry of "images"; the images and '
                    f'annotations lists do not match, use the official file.')
            if image_id in label_by_image:
                raise ValueError(f'{where} is the second annotation of that '
                                 f'image; a classification image has one.')
            if ann['category_id'] not in label_of:
                raise ValueError(
                    f'{where} has category_id {ann["category_id"]}, which is '
                    f'not in "categories".')
            label_by_image[image_id] = label_of[ann['category_id']]
        unlabelled = [i for i in file_of if i not in label_by_image]
        if unlabelled:
            raise ValueError(
                f'{path}: image id {unlabelled[0]} (and '
                f'{len(unlabelled) - 1} more) has no annotation; the images '
                f'and annotations lists do not match, use the official file.')

        backend = get_file_backend(self.img_prefix, enable_singleton=True)
        data_list, missing = [], []
        for i, img in enumerate(data['images']):
            img_path = backend.join_path(self.img_prefix, img['file_name'])
            if self.check_files and not backend.exists(img_path):
                missing.append((f'{path}: images[{i}]', img['file_name']))
            data_list.append(
                dict(img_path=img_path, gt_label=label_by_image[img['id']]))
        report_missing_images(missing, len(data_list), path, self.img_prefix)
        return data_list
