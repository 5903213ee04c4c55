# Copyright (c) mmlt contributors. All rights reserved.
"""tools/analysis/dev_split.py: the development-split validation loader of
the post-hoc tuners, on the generated Fashion-MNIST."""
import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS
from utils import load_module, tiny_config

import mmlt  # noqa: F401

K, SEED = 5, 3


@pytest.fixture(scope='module')
def dev_split():
    return load_module('tools/analysis/dev_split.py')


def config_with_dev(tmp_path, fmnist_root, dev_per_class=K, dev_seed=SEED):
    """The tiny CE config whose training set sets the split aside."""
    cfg = Config.fromfile(tiny_config(tmp_path, fmnist_root))
    cfg.merge_from_dict({
        'train_dataloader.dataset.dev_per_class': dev_per_class,
        'train_dataloader.dataset.dev_seed': dev_seed
    })
    return cfg


def test_dev_loader_is_balanced_and_unseen(dev_split, tmp_path, fmnist_root):
    cfg = config_with_dev(tmp_path, fmnist_root)
    batch_size = cfg.val_dataloader.batch_size
    dev_split.use_dev_split(cfg, K, SEED)
    dev = DATASETS.build(cfg.val_dataloader.dataset)
    train = DATASETS.build(cfg.train_dataloader.dataset)

    # K images of every class, from the training pool (the 20-per-class
    # training files, not the 5-per-class test files).
    assert len(dev) == 10 * K
    assert np.bincount(dev.get_gt_labels(), minlength=10).tolist() == [K] * 10
    assert len(dev.dataset) == len(train.dataset) == 200
    pool_labels = np.asarray(train.dataset.get_gt_labels())
    assert (pool_labels[dev.indices] == dev.get_gt_labels()).all()
    # None of them is in the training set built with the same K and seed,
    # which keeps every other image it draws: 15 of the 20 of the head
    # class (IF 10: 15 ... 1).
    assert not set(dev.indices.tolist()) & set(train.indices.tolist())
    assert train.class_counts[0] == 20 - K
    # The same images, pixel for pixel, are not training images either.
    train_pixels = {
        train.dataset.get_data_info(int(i))['img'].tobytes()
        for i in train.indices
    }
    assert not any(
        dev.dataset.get_data_info(int(i))['img'].tobytes() in train_pixels
        for i in dev.indices)

    # Loaded as the validation set is (no random crop or flip), and the
    # loader's other settings stay.
    types = [t['type'] for t in cfg.val_dataloader.dataset.dataset.pipeline]
    assert types == ['ToGrayscale', 'PackInputs']
    assert cfg.val_dataloader.batch_size == batch_size
    assert dev[0]['inputs'].shape == (1, 28, 28)

    # dev_seed picks the images: another seed, other images.
    other = config_with_dev(tmp_path, fmnist_root, dev_seed=SEED + 1)
    dev_split.use_dev_split(other, K, SEED + 1)
    assert set(DATASETS.build(
        other.val_dataloader.dataset).indices.tolist()) != set(
            dev.indices.tolist())


def test_refuses_a_training_set_that_saw_the_split(dev_split, tmp_path,
                                                   fmnist_root):
    plain = Config.fromfile(tiny_config(tmp_path, fmnist_root))
    with pytest.raises(
            ValueError,
            match='saw the development images.*'
            'train_dataloader.dataset.dev_per_class=5 '
            'train_dataloader.dataset.dev_seed=3'):
        dev_split.use_dev_split(plain, K, SEED)
    # The same K with another seed sets other images aside.
    other_seed = config_with_dev(tmp_path, fmnist_root, dev_seed=SEED + 1)
    with pytest.raises(ValueError, match='dev_seed=4, not the 5 per class'):
        dev_split.use_dev_split(other_seed, K, SEED)
    with pytest.raises(ValueError, match='--dev-per-class must be a positive'):
        dev_split.use_dev_split(config_with_dev(tmp_path, fmnist_root), 0)


def test_training_pool_through_wrappers(dev_split):
    long_tail = dict(type='LongTailDataset', dataset=dict(type='X'))
    cfg = Config(
        dict(
            train_dataloader=dict(
                dataset=dict(type='ClassBalancedDataset', dataset=long_tail))))
    found, key = dev_split.training_pool(cfg)
    assert found == long_tail and key == 'train_dataloader.dataset.dataset'
    flat = Config(dict(train_dataloader=dict(dataset=dict(type='X'))))
    with pytest.raises(ValueError, match='a.py: .*has no LongTailDataset'):
        dev_split.training_pool(flat, 'a.py')
