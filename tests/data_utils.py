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


def write_cifar(root: str, num_classes=10, train_per_class=20,
                test_per_class=5, seed=0) -> dict:
    """Write CIFAR-10 (5 data batches) or CIFAR-100 python pickles.

    The official files are Python 2 pickles that mmpretrain reads with
    ``encoding='latin1'``, which yields ``str`` keys; these use ``str`` keys.

    Returns:
        dict: ``{file name: md5}``, to register the generated files with
        mmpretrain's integrity check in tests.
    """
    cifar100 = num_classes == 100
    folder = osp.join(root, 'cifar-100-python' if cifar100 else
                      'cifar-10-batches-py')
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
        md5['train'] = _pickle(osp.join(folder, 'train'),
                               batch(train_labels, seed + 1))
        md5['test'] = _pickle(osp.join(folder, 'test'),
                              batch(test_labels, seed + 2))
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
