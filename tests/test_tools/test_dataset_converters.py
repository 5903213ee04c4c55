# Copyright (c) mmlt contributors. All rights reserved.
import gzip
import importlib.util
import os
import os.path as osp
import shutil

import pytest

from utils import ROOT, run_tool, tiny_config


def load_tool(relpath):
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relpath))[0], osp.join(ROOT, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_prepare_fashion_mnist(tmp_path, fmnist_root):
    # Gzip the generated files as Debian's dataset-fashion-mnist ships them.
    src = tmp_path / 'debian'
    src.mkdir()
    for name in os.listdir(fmnist_root):
        with open(osp.join(fmnist_root, name), 'rb') as fin, gzip.open(
                src / (name + '.gz'), 'wb') as fout:
            shutil.copyfileobj(fin, fout)
    tool = load_tool('tools/dataset_converters/prepare_fashion_mnist.py')
    out = tmp_path / 'out'
    # The headers name 200/50 items, not the release's 60000/10000.
    with pytest.raises(ValueError, match='not the Fashion-MNIST release'):
        tool.prepare(str(src), str(out))
    files = {name: (magic, 200 if 'train' in name else 50)
             for name, (magic, _) in tool.FILES.items()}
    tool.FILES.update(files)
    tool.prepare(str(src), str(out))
    for name in files:
        assert (out / name).read_bytes() == open(
            osp.join(fmnist_root, name), 'rb').read()
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        tool.prepare(str(tmp_path / 'none'), str(tmp_path / 'out2'))


def test_make_long_tail_split(tmp_path, fmnist_root):
    cfg = tiny_config(tmp_path, fmnist_root)
    out = str(tmp_path / 'split.txt')
    proc = run_tool(
        ['tools/dataset_converters/make_long_tail_split.py', cfg, '--out', out])
    assert 'total 78 images in 10 classes, imbalance 10.0' in proc.stdout
    lines = [l for l in open(out) if not l.startswith('#')]
    assert len(lines) == 78
    # Never overwrites a split silently.
    proc = run_tool(
        ['tools/dataset_converters/make_long_tail_split.py', cfg, '--out', out],
        check=False)
    assert proc.returncode != 0 and 'overwrite' in proc.stderr
