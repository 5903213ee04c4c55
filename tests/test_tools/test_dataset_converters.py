# Copyright (c) mmlt contributors. All rights reserved.
import gzip
import os
import os.path as osp
import shutil

import pytest
from utils import ROOT, load_module, run_tool, tiny_config

load_tool = load_module


def test_prepare_fashion_mnist(tmp_path, fmnist_root):
    # Gzip the generated files as Debian's dataset-fashion-mnist ships them.
    src = tmp_path / 'debian'
    src.mkdir()
    for name in os.listdir(fmnist_root):
        with open(osp.join(fmnist_root, name),
                  'rb') as fin, gzip.open(src / (name + '.gz'), 'wb') as fout:
            shutil.copyfileobj(fin, fout)
    tool = load_tool('tools/dataset_converters/prepare_fashion_mnist.py')
    out = tmp_path / 'out'
    # The headers name 200/50 items, not the release's 60000/10000.
    with pytest.raises(ValueError, match='not the Fashion-MNIST release'):
        tool.prepare(str(src), str(out))
    files = {
        name: (magic, 200 if 'train' in name else 50)
        for name, (magic, _) in tool.FILES.items()
    }
    tool.FILES.update(files)
    tool.prepare(str(src), str(out))
    for name in files:
        assert (out /
                name).read_bytes() == open(osp.join(fmnist_root, name),
                                           'rb').read()
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        tool.prepare(str(tmp_path / 'none'), str(tmp_path / 'out2'))


def test_make_long_tail_split(tmp_path, fmnist_root):
    cfg = tiny_config(tmp_path, fmnist_root)
    out = str(tmp_path / 'split.txt')
    proc = run_tool([
        'tools/dataset_converters/make_long_tail_split.py', cfg, '--out', out
    ])
    assert 'total 78 images in 10 classes, imbalance 10.0' in proc.stdout
    lines = [line for line in open(out) if not line.startswith('#')]
    assert len(lines) == 78
    # Never overwrites a split silently.
    proc = run_tool([
        'tools/dataset_converters/make_long_tail_split.py', cfg, '--out', out
    ],
                    check=False)
    assert proc.returncode != 0 and 'overwrite' in proc.stderr


def test_make_dev_split(tmp_path):
    import sys
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    from data_utils import write_imagenet_lt
    root = write_imagenet_lt(str(tmp_path / 'imagenet_lt'), [6, 4, 3])
    cfg = tmp_path / 'dev.py'
    base = osp.join(ROOT, 'configs/_base_/datasets/imagenet_lt_with_dev.py')
    inner = dict(data_root=root, metainfo=dict(classes=('a', 'b', 'c')))
    cfg.write_text(f"""
_base_ = {base!r}
train_dataloader = dict(dataset=dict(dev_per_class=2, dataset={inner!r}))
dev_dataloader = dict(dataset=dict(dev_per_class=2, dataset={inner!r}))
""")
    out = str(tmp_path / 'dev.txt')
    proc = run_tool([
        'tools/dataset_converters/make_long_tail_split.py',
        str(cfg), '--dataloader', 'dev_dataloader', '--out', out
    ])
    assert 'total 6 images in 3 classes, imbalance 1.0' in proc.stdout
    lines = [line.split() for line in open(out) if not line.startswith('#')]
    assert sorted(int(label) for _, label in lines) == [0, 0, 1, 1, 2, 2]
    # The training split written next to it leaves those images out.
    train = str(tmp_path / 'train.txt')
    proc = run_tool([
        'tools/dataset_converters/make_long_tail_split.py',
        str(cfg), '--out', train
    ])
    assert 'total 7 images in 3 classes' in proc.stdout
    train_idx = {
        line.split()[0]
        for line in open(train) if not line.startswith('#')
    }
    assert train_idx.isdisjoint(index for index, _ in lines)
