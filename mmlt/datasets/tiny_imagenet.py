# Copyright (c) mmlt contributors. All rights reserved.
from typing import Dict, List

from mmengine.fileio import exists, get_file_backend, list_from_file
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .file_checks import report_missing_images, require_file

DOWNLOAD_HINT = ('unzip tiny-imagenet-200.zip '
                 '(http://cs231n.stanford.edu/tiny-imagenet-200.zip) and set '
                 'data_root to its tiny-imagenet-200 folder.')


@DATASETS.register_module()
class TinyImageNet(BaseDataset):
    """Tiny ImageNet (the 200-class, 64x64 subset of ImageNet of Stanford's
    CS231n), read from the folder of the official zip.

    500 training and 50 validation images per class. The test images have no
    labels, so the validation set serves as test set. Wrap the training set
    in :class:`LongTailDataset` for Tiny-ImageNet-LT::

        data/tiny-imagenet-200
        ├── wnids.txt      the 200 WordNet ids, one per line
        ├── words.txt      "n01443537<TAB>goldfish, Carassius auratus"
        ├── train/n01443537/images/n01443537_0.JPEG
        └── val
            ├── val_annotations.txt    "val_0.JPEG<TAB>n03444034<TAB>..."
            └── images/val_0.JPEG

    Labels follow the sorted WordNet ids (the order of an image folder
    dataset over ``train/``); class names are the first synonym in
    ``words.txt``, or the WordNet id without it.

    Args:
        data_root (str): The ``tiny-imagenet-200`` folder. Defaults to ''.
        split (str): ``'train'`` or ``'val'``. Defaults to ``'train'``.
        check_files (bool): Whether to check that every validation image
            exists (training images are found by listing their folders).
            Defaults to True.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.
            BaseDataset`.
    """

    SPLITS = ('train', 'val')
    IMG_EXTENSIONS = ('.jpeg', '.jpg', '.png')

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 check_files: bool = True,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'TinyImageNet: split must be one of '
                             f'{self.SPLITS}, got {split!r}; the test images '
                             f'have no labels.')
        self.split = split
        self.check_files = check_files
        super().__init__(
            ann_file='', data_root=data_root, data_prefix=split, **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the images of the split and their classes."""
        backend = get_file_backend(self.data_root, enable_singleton=True)
        wnids_file = backend.join_path(self.data_root, 'wnids.txt')
        require_file(wnids_file, 'TinyImageNet', DOWNLOAD_HINT)
        wnids = [w.strip() for w in list_from_file(wnids_file) if w.strip()]
        if len(set(wnids)) != len(wnids):
            raise ValueError(f'{wnids_file}: a WordNet id is listed twice.')
        wnids.sort()
        label_of = {wnid: i for i, wnid in enumerate(wnids)}
        if not self._metainfo.get('classes'):
            names = self._words(backend.join_path(self.data_root, 'words.txt'))
            self._metainfo['classes'] = tuple(
                names.get(wnid, wnid) for wnid in wnids)
        if self.split == 'train':
            return self._train_list(backend, wnids, wnids_file)
        return self._val_list(backend, label_of)

    def _train_list(self, backend, wnids: List[str],
                    wnids_file: str) -> List[dict]:
        data_list = []
        for label, wnid in enumerate(wnids):
            folder = backend.join_path(self.img_prefix, wnid, 'images')
            if not backend.isdir(folder):
                raise FileNotFoundError(
                    f'TinyImageNet: {folder} does not exist, but '
                    f'{wnids_file} lists {wnid}; {DOWNLOAD_HINT}')
            files = sorted(
                f for f in backend.list_dir_or_file(folder, list_dir=False)
                if f.lower().endswith(self.IMG_EXTENSIONS))
            if not files:
                raise FileNotFoundError(
                    f'TinyImageNet: {folder} holds no image; {DOWNLOAD_HINT}')
            data_list.extend(
                dict(img_path=backend.join_path(folder, f), gt_label=label)
                for f in files)
        return data_list

    def _val_list(self, backend, label_of: Dict[str, int]) -> List[dict]:
        ann_file = backend.join_path(self.img_prefix, 'val_annotations.txt')
        require_file(ann_file, 'TinyImageNet', DOWNLOAD_HINT)
        images = backend.join_path(self.img_prefix, 'images')
        data_list, missing = [], []
        for lineno, line in enumerate(list_from_file(ann_file), 1):
            if not line.strip():
                continue
            fields = line.split('\t')
            where = f'{ann_file}:{lineno}'
            if len(fields) < 2:
                raise ValueError(
                    f'{where}: expected "file<TAB>wnid<TAB>box", got '
                    f'{line!r}; use the official val_annotations.txt.')
            filename, wnid = fields[0].strip(), fields[1].strip()
            if wnid not in label_of:
                raise ValueError(
                    f'{where}: {wnid} is not in wnids.txt; the annotations '
                    f'belong to another copy of the dataset.')
            img_path = backend.join_path(images, filename)
            if self.check_files and not backend.exists(img_path):
                missing.append((where, filename))
            data_list.append(dict(img_path=img_path, gt_label=label_of[wnid]))
        report_missing_images(missing, len(data_list), ann_file, images)
        return data_list

    @staticmethod
    def _words(path: str) -> Dict[str, str]:
        """WordNet id to its first synonym, from ``words.txt`` if present."""
        if not exists(path):
            return {}
        names = {}
        for line in list_from_file(path):
            wnid, _, words = line.partition('\t')
            if words:
                names[wnid.strip()] = words.split(',')[0].strip()
        return names
