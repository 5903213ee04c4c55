# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

import mmlt  # noqa: F401
from mmlt.datasets import LongTailDataset, select_long_tail_indices


class ToyDataset(BaseDataset):
    """``per_class[c]`` images of class c, interleaved."""
    METAINFO = dict(classes=[f'c{i}' for i in range(5)])

    def __init__(self, per_class=(30, 30, 30, 30, 30), **kwargs):
        self.per_class = per_class
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        labels = np.concatenate(
            [np.full(n, c) for c, n in enumerate(self.per_class)])
        labels = np.random.default_rng(1).permutation(labels)
        return [dict(gt_label=int(x), idx=i) for i, x in enumerate(labels)]

    def get_gt_labels(self):
        return np.array([d['gt_label'] for d in self.data_list])


def toy(**kwargs):
    kwargs.setdefault('imbalance_factor', 10)
    return LongTailDataset(dataset=ToyDataset(), **kwargs)


def test_exp_counts_and_labels():
    ds = toy(imbalance_factor=10)
    # floor(30 * 10 ** (-i / 4)) for i = 0..4
    expected = [30, 16, 9, 5, 3]
    assert ds.class_counts.tolist() == expected
    assert len(ds) == sum(expected)
    labels = ds.get_gt_labels()
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        # The wrapper returns the wrapped dataset's own samples.
        assert info['gt_label'] == labels[i] == ds.get_cat_ids(i)[0]
        assert info['idx'] == ds.indices[i]
    # Without replacement: each wrapped image at most once.
    assert len(set(ds.indices.tolist())) == len(ds)
    assert ds.metainfo['classes'] == ToyDataset.METAINFO['classes']


def test_step_explicit_and_class_order():
    assert toy(profile='step', imbalance_factor=10).class_counts.tolist() == \
        [30, 30, 3, 3, 3]
    assert toy(counts=[1, 2, 3, 4, 5]).class_counts.tolist() == [1, 2, 3, 4, 5]
    ds = toy(imbalance_factor=10, class_order=[4, 3, 2, 1, 0])
    assert ds.class_counts.tolist() == [3, 5, 9, 16, 30]
    ds = toy(imbalance_factor=10, max_count=20)
    assert ds.class_counts.tolist() == [20, 11, 6, 3, 2]


def test_deterministic_and_seeded():
    a, b = toy(seed=3), toy(seed=3)
    assert np.array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, toy(seed=4).indices)
    # Nested splits: IF 20 keeps a subset of IF 10's images.
    assert set(toy(imbalance_factor=20).indices) < set(
        toy(imbalance_factor=10).indices)


def test_selection_rule():
    # The documented rule, recomputed: per class, the smallest PCG64 keys.
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 0])
    keys = np.random.PCG64(7).random_raw(labels.size)
    expected = []
    for c, n in enumerate([3, 1]):
        idx = np.flatnonzero(labels == c)
        expected += idx[np.argsort(keys[idx], kind='stable')][:n].tolist()
    assert select_long_tail_indices(labels, [3, 1],
                                    7).tolist() == sorted(expected)


def test_split_file_round_trip(tmp_path):
    ds = toy(imbalance_factor=10, seed=5)
    path = tmp_path / 'split.txt'
    ds.dump_split(str(path))
    text = path.read_text().splitlines()
    assert text[0] == '# mmlt long-tail split v1'
    with pytest.raises(FileExistsError, match='overwrite'):
        ds.dump_split(str(path))
    again = toy(split_file=str(path))
    assert np.array_equal(again.indices, ds.indices)
    assert again.class_counts.tolist() == ds.class_counts.tolist()


@pytest.mark.parametrize('line,match', [
    ('12 x', r'split.txt:5: expected "<index> <label>"'),
    ('99999 0', r'split.txt:5: index 99999 is outside'),
    ('BADLABEL', r'split.txt:5: image .* has label'),
])
def test_split_file_bad_line(tmp_path, line, match):
    base = ToyDataset()
    labels = base.get_gt_labels()
    if line == 'BADLABEL':
        line = f'0 {(labels[0] + 1) % 5}'
    path = tmp_path / 'split.txt'
    path.write_text('# header\n\n1 %d\n2 %d\n%s\n' %
                    (labels[1], labels[2], line))
    with pytest.raises(ValueError, match=match):
        LongTailDataset(dataset=base, split_file=str(path))


def test_missing_split_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='split_file'):
        toy(split_file=str(tmp_path / 'none.txt'))


def test_bad_inputs():
    with pytest.raises(ValueError, match='imbalance_factor must be >= 1'):
        toy(imbalance_factor=0.5)
    with pytest.raises(ValueError, match=r"class 3 \('c3'\) would keep 0"):
        toy(imbalance_factor=100, max_count=20)
    with pytest.raises(ValueError, match=r"class 0 \('c0'\) needs 40 images"):
        toy(max_count=40)
    with pytest.raises(ValueError, match='`counts` has 3 entries'):
        toy(counts=[1, 2, 3])


def test_missing_data_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='dataset.data_root'):
        DATASETS.build(
            dict(
                type='LongTailDataset',
                dataset=dict(
                    type='FashionMNIST',
                    data_root=str(tmp_path / 'nowhere'),
                    download=False)))


def test_fashion_mnist_format(fmnist_root):
    ds = DATASETS.build(
        dict(
            type='LongTailDataset',
            imbalance_factor=10,
            dataset=dict(
                type='FashionMNIST',
                data_root=fmnist_root,
                test_mode=False,
                download=False,
                pipeline=[dict(type='PackInputs')])))
    # floor(20 * 10 ** (-i / 9))
    expected = [int(20 * 10**(-i / 9)) for i in range(10)]
    assert ds.class_counts.tolist() == expected
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (1, 28, 28)
    assert sample['data_samples'].gt_label.item() == ds.get_gt_labels()[0]


def test_selection_with_exclusions():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 0])
    keys = np.random.PCG64(7).random_raw(labels.size)
    exclude = np.array([0, 6, 3])
    expected = []
    for c, n in enumerate([2, 2]):
        idx = np.setdiff1d(np.flatnonzero(labels == c), exclude)
        expected += idx[np.argsort(keys[idx], kind='stable')][:n].tolist()
    assert select_long_tail_indices(
        labels, [2, 2], 7, exclude=exclude).tolist() == sorted(expected)
    with pytest.raises(ValueError, match='class 1 has 2 images to pick from'):
        select_long_tail_indices(labels, [2, 3], 7, exclude=exclude)


def test_dev_split_is_balanced_and_disjoint():
    dev = toy(dev_per_class=4, split='dev')
    train = toy(dev_per_class=4)
    assert dev.class_counts.tolist() == [4] * 5
    # The profile's head is what the development split leaves: 26.
    assert train.class_counts.tolist() == [26, 14, 8, 4, 2]
    assert not set(dev.indices) & set(train.indices)
    for i in range(len(dev)):
        assert dev.get_data_info(i)['idx'] == dev.indices[i]
        assert dev.get_cat_ids(i)[0] == dev.get_data_info(i)['gt_label']
    # The same images for any training seed; other ones for another
    # dev_seed.
    for seed in (1, 2):
        assert not set(dev.indices) & set(
            toy(dev_per_class=4, seed=seed).indices)
        np.testing.assert_array_equal(
            toy(dev_per_class=4, split='dev', seed=seed).indices, dev.indices)
    assert not np.array_equal(
        toy(dev_per_class=4, split='dev', dev_seed=1).indices, dev.indices)
    # Without a development split nothing changes.
    np.testing.assert_array_equal(toy(dev_per_class=0).indices, toy().indices)


def test_keep_every_image_but_the_dev_split():
    ds = LongTailDataset(
        dataset=ToyDataset(per_class=(30, 9, 5, 3, 2)), profile=None)
    assert ds.class_counts.tolist() == [30, 9, 5, 3, 2]
    ds = LongTailDataset(
        dataset=ToyDataset(per_class=(30, 9, 5, 3, 2)),
        profile=None,
        dev_per_class=2)
    # The last class keeps no image; a warning says so.
    assert ds.class_counts.tolist() == [28, 7, 3, 1, 0]


def test_dev_split_file_round_trip(tmp_path):
    dev = toy(dev_per_class=3, split='dev', dev_seed=5)
    path = tmp_path / 'dev.txt'
    dev.dump_split(str(path))
    assert 'split=dev dev_per_class=3 dev_seed=5' in path.read_text()
    again = toy(split_file=str(path), dev_per_class=3, split='dev')
    np.testing.assert_array_equal(again.indices, dev.indices)
    # A training split that holds development images is refused.
    with pytest.raises(
            ValueError,
            match=r'dev.txt: image \d+ \(and 14 more\) '
            'belongs to the development split'):
        toy(split_file=str(path), dev_per_class=3, dev_seed=5)


def test_bad_dev_split_arguments():
    with pytest.raises(
            ValueError,
            match=r"class 0 \('c0'\) has 30 images in "
            r'ToyDataset, fewer than dev_per_class=31'):
        toy(dev_per_class=31, split='dev')
    with pytest.raises(
            ValueError,
            match=r"class 0 \('c0'\) needs 30 images "
            r'but ToyDataset has only 26 after dev_per_class=4'):
        toy(dev_per_class=4, max_count=30)
    with pytest.raises(ValueError, match="split='dev' needs dev_per_class"):
        toy(split='dev')
    with pytest.raises(ValueError, match="split must be 'train' or 'dev'"):
        toy(split='val')
    with pytest.raises(
            ValueError, match='dev_per_class must be a '
            'non-negative int'):
        toy(dev_per_class=-1)


def test_pipeline_is_the_wrapped_datasets():
    # mmpretrain's browse_dataset.py reads dataset.pipeline and replaces it.
    ds = toy()
    assert ds.pipeline is ds.dataset.pipeline

    def mark(results):
        results['marked'] = True
        return results

    ds.pipeline = mark
    assert ds.dataset.pipeline is mark
    assert ds[0]['marked']
