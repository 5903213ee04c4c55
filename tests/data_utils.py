# Copyright (c) mmlt contributors. All rights reserved.
"""Write small datasets in the exact on-disk formats of the real ones."""
import hashlib
import os
import os.path as osp
import pickle
import struct

import numpy as np

MNIST_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
               't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def class_images(labels: np.ndarray, shape: tuple, seed: int) -> np.ndarray:
    """uint8 images whose class is visible (a bright band per class)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(len(labels), ) + shape, dtype=np.uint8)
    rows = shape[0]
    for i, label in enumerate(labels):
        start = int(label) * rows // 10 % rows
        images[i, start:start + max(rows // 10, 1)] = 255
    return images


def write_sn3(path: str, array: np.ndarray) -> None:
    """Write a uint8 array in the SN3 (idx) format of (Fashion-)MNIST."""
    magic = 0x0800 + array.ndim
    with open(path, 'wb') as f:
        f.write(struct.pack('>I', magic))
        f.write(struct.pack('>' + 'I' * array.ndim, *array.shape))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_fashion_mnist(root: str,
                        train_per_class=20,
                        test_per_class=5,
                        num_classes=10,
                        size=28,
                        seed=0) -> str:
    """Write a small Fashion-MNIST in the decompressed SN3 files."""
    os.makedirs(root, exist_ok=True)
    for prefix, per_class in (('train', train_per_class), ('t10k',
                                                           test_per_class)):
        labels = np.repeat(np.arange(num_classes), per_class)
        labels = np.random.default_rng(seed).permutation(labels)
        images = class_images(labels, (size, size), seed + 1)
        write_sn3(osp.join(root, f'{prefix}-images-idx3-ubyte'), images)
        write_sn3(
            osp.join(root, f'{prefix}-labels-idx1-ubyte'),
            labels.astype(np.uint8))
    return root


def _pickle(path: str, obj: dict) -> str:
    with open(path, 'wb') as f:
        pickle.dump(obj, f)
    with open(path, 'rb') as f:
        return hashlib.md5(f.read()).hexdigest()


def write_cifar(root: str,
                num_classes=10,
                train_per_class=20,
                test_per_class=5,
                seed=0) -> dict:
    """Write CIFAR-10 (5 data batches) or CIFAR-100 python pickles.

    The official files are Python 2 pickles that mmpretrain reads with
    ``encoding='latin1'``, which yields ``str`` keys; these use ``str`` keys.

    Returns:
        dict: ``{file name: md5}``, to register the generated files with
        mmpretrain's integrity check in tests.
    """
    cifar100 = num_classes == 100
    folder = osp.join(
        root, 'cifar-100-python' if cifar100 else 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    label_key = 'fine_labels' if cifar100 else 'labels'
    rng = np.random.default_rng(seed)
    md5 = {}

    def batch(labels, seed):
        images = class_images(labels, (32, 32), seed)
        # CIFAR stores rows of 3072 bytes: R plane, G plane, B plane.
        data = np.repeat(images[:, None], 3, axis=1).reshape(len(labels), -1)
        return {'data': data, label_key: [int(x) for x in labels]}

    train_labels = rng.permutation(
        np.repeat(np.arange(num_classes), train_per_class))
    test_labels = rng.permutation(
        np.repeat(np.arange(num_classes), test_per_class))
    if cifar100:
        md5['train'] = _pickle(
            osp.join(folder, 'train'), batch(train_labels, seed + 1))
        md5['test'] = _pickle(
            osp.join(folder, 'test'), batch(test_labels, seed + 2))
        md5['meta'] = _pickle(
            osp.join(folder, 'meta'),
            {'fine_label_names': [f'class_{i}' for i in range(100)]})
    else:
        for i, part in enumerate(np.array_split(train_labels, 5)):
            md5[f'data_batch_{i + 1}'] = _pickle(
                osp.join(folder, f'data_batch_{i + 1}'),
                batch(part, seed + 1 + i))
        md5['test_batch'] = _pickle(
            osp.join(folder, 'test_batch'), batch(test_labels, seed + 9))
        md5['batches.meta'] = _pickle(
            osp.join(folder, 'batches.meta'),
            {'label_names': [f'class_{i}' for i in range(10)]})
    return md5


def write_jpeg(path: str, label: int, size: int = 16) -> None:
    """A tiny RGB JPEG whose colour depends on ``label``."""
    from PIL import Image
    os.makedirs(osp.dirname(path), exist_ok=True)
    color = (label * 37 % 256, label * 91 % 256, label * 53 % 256)
    Image.new('RGB', (size, size), color).save(path, quality=90)


def write_image_list(root: str, list_name: str, entries, seed=0) -> str:
    """Write the images of ``entries`` (``(relative path, label)``) under
    ``root`` and list them, shuffled, as ``relative/path label`` lines."""
    order = np.random.default_rng(seed).permutation(len(entries))
    lines = []
    for i in order:
        path, label = entries[i]
        write_jpeg(osp.join(root, path), label)
        lines.append(f'{path} {label}\n')
    with open(osp.join(root, list_name), 'w') as f:
        f.writelines(lines)
    return osp.join(root, list_name)


def write_imagenet_lt(root: str,
                      train_counts,
                      val_per_class=2,
                      test_per_class=2) -> str:
    """ImageNet-LT as OLTR ships it: ``ImageNet_LT_{train,val,test}.txt``
    over ImageNet's ``train/<wnid>/`` and class-sorted ``val/<wnid>/``; the
    val list takes other training images than the train list."""
    train, val, test = [], [], []
    for label, count in enumerate(train_counts):
        wnid = f'n{label:08d}'
        for i in range(count + val_per_class):
            path = f'train/{wnid}/{wnid}_{i}.JPEG'
            (train if i < count else val).append((path, label))
        for i in range(test_per_class):
            test.append(
                (f'val/{wnid}/ILSVRC2012_val_{label * 100 + i:08d}.JPEG',
                 label))
    for split, entries in (('train', train), ('val', val), ('test', test)):
        write_image_list(root, f'ImageNet_LT_{split}.txt', entries)
    return root


def write_places_lt(root: str,
                    train_counts,
                    val_per_class=2,
                    test_per_class=2,
                    categories=True) -> str:
    """Places-LT: ``Places_LT_{train,val,test}.txt`` over images at
    Places365-Standard-style paths (``data_256/<letter>/<class>/``,
    ``val_256/``) and, optionally, the devkit's
    ``categories_places365.txt``."""
    names = [f'{chr(97 + i % 26)}/place_{i}' for i in range(len(train_counts))]
    train, val, test = [], [], []
    n = 0
    for label, count in enumerate(train_counts):
        for i in range(count + val_per_class):
            path = f'data_256/{names[label]}/{i + 1:08d}.jpg'
            (train if i < count else val).append((path, label))
        for _ in range(test_per_class):
            n += 1
            test.append((f'val_256/Places365_val_{n:08d}.jpg', label))
    for split, entries in (('train', train), ('val', val), ('test', test)):
        write_image_list(root, f'Places_LT_{split}.txt', entries)
    if categories:
        with open(osp.join(root, 'categories_places365.txt'), 'w') as f:
            f.writelines(f'/{name} {i}\n' for i, name in enumerate(names))
    return root


def write_inaturalist(root: str,
                      year: int,
                      train_counts,
                      val_per_class=2) -> str:
    """iNaturalist ``train{year}.json`` / ``val{year}.json`` (COCO style:
    images, annotations, categories) and their images; the categories are
    listed out of id order and image ids are not positions."""
    import json
    num_classes = len(train_counts)
    categories = [
        dict(id=i, name=f'Species {i}', supercategory='Plantae')
        for i in reversed(range(num_classes))
    ]
    image_id = 1000
    for split, counts in (('train', train_counts),
                          ('val', [val_per_class] * num_classes)):
        images, annotations = [], []
        for label, count in enumerate(counts):
            for _ in range(count):
                image_id += 7
                folder = (f'train_val_images/Plantae/Species {label}' if year
                          == 2017 else f'train_val2018/Plantae/{label}')
                file_name = f'{folder}/{image_id}.jpg'
                write_jpeg(osp.join(root, file_name), label)
                images.append(
                    dict(
                        id=image_id, file_name=file_name, width=16, height=16))
                annotations.append(
                    dict(
                        id=len(annotations),
                        image_id=image_id,
                        category_id=label))
        # Annotations in another order than the images.
        annotations.reverse()
        with open(osp.join(root, f'{split}{year}.json'), 'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories), f)
    return root


def write_tiny_imagenet(root: str,
                        num_classes=4,
                        train_per_class=10,
                        val_per_class=3) -> str:
    """The ``tiny-imagenet-200`` folder of the official zip: ``wnids.txt``
    (not sorted), ``words.txt`` (with more ids than used),
    ``train/<wnid>/images/`` with ``<wnid>_boxes.txt`` and ``val/images/``
    with ``val_annotations.txt``; 64 x 64 images like the real ones."""
    wnids = [f'n{9000 - 7 * i:08d}' for i in range(num_classes)]
    with open(osp.join(_mkdir(root), 'wnids.txt'), 'w') as f:
        f.writelines(f'{w}\n' for w in wnids)
    with open(osp.join(root, 'words.txt'), 'w') as f:
        f.write('n00000001\tentity\n')
        f.writelines(f'{w}\tthing {w[-4:]}, other name\n' for w in wnids)
    for w in wnids:
        folder = _mkdir(osp.join(root, 'train', w, 'images'))
        for i in range(train_per_class):
            write_jpeg(osp.join(folder, f'{w}_{i}.JPEG'), int(w[1:]), 64)
        with open(osp.join(root, 'train', w, f'{w}_boxes.txt'), 'w') as f:
            f.writelines(f'{w}_{i}.JPEG\t0\t0\t15\t15\n'
                         for i in range(train_per_class))
    lines = []
    for i in range(num_classes * val_per_class):
        w = wnids[i % num_classes]
        write_jpeg(
            osp.join(root, 'val', 'images', f'val_{i}.JPEG'), int(w[1:]), 64)
        lines.append(f'val_{i}.JPEG\t{w}\t0\t0\t15\t15\n')
    with open(osp.join(root, 'val', 'val_annotations.txt'), 'w') as f:
        f.writelines(lines)
    return root


def _mkdir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path
