# Copyright (c) mmlt contributors. All rights reserved.
"""tools/analysis/check_dataset.py on generated ImageNet-LT lists."""
import os
import os.path as osp
import sys

import pytest
from utils import ROOT, run_tool

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_utils import write_imagenet_lt  # noqa: E402
from test_dataset_converters import load_tool  # noqa: E402

CE = osp.join(ROOT, 'configs/ce/ce_resnet50_8xb64_imagenet-lt.py')
TRAIN_COUNTS = [12, 7, 4, 3]


@pytest.fixture
def data_root(tmp_path):
    return write_imagenet_lt(str(tmp_path / 'imagenet_lt'), TRAIN_COUNTS)


def tiny_config(tmp_path, data_root, num_classes=4):
    path = str(tmp_path / 'tiny.py')
    meta = dict(classes=tuple('abcd'))
    with open(path, 'w') as f:
        f.write(f"""
_base_ = {CE!r}
model = dict(head=dict(num_classes={num_classes}))
train_dataloader = dict(dataset=dict(dataset=dict(
    data_root={data_root!r}, metainfo={meta!r})))
val_dataloader = dict(dataset=dict(data_root={data_root!r},
                                   metainfo={meta!r}))
test_dataloader = dict(dataset=dict(data_root={data_root!r},
                                    metainfo={meta!r}))
val_evaluator = dict(many_thr=5, few_thr=4)
""")
    return path


def test_ready_dataset(tmp_path, data_root, capsys):
    tool = load_tool('tools/analysis/check_dataset.py')
    assert tool.main([tiny_config(tmp_path, data_root)]) == 0
    out = capsys.readouterr().out
    assert ('26 images in 4 classes; per class: max 12, min 3, imbalance '
            '4.0') in out
    assert ('Many (> 5): 2 classes, 19 images; Medium (4-5): 1 classes, 4 '
            'images; Few (< 4): 1 classes, 3 images') in out
    # Histogram rows: 2-4 images: 2 classes, 5-9: 1, 10-12: 1.
    assert '2-4 images | ' + '#' * 40 + ' 2 classes' in out
    assert '5-9 images | ' + '#' * 20 + ' ' * 20 + ' 1 classes' in out
    assert '10-12 images |' in out
    # val and test: 2 images per class each.
    assert out.count('8 images in 4 classes') == 2
    assert out.rstrip().endswith('All datasets are ready.')


def test_reports_what_is_missing(tmp_path, data_root, capsys):
    tool = load_tool('tools/analysis/check_dataset.py')
    cfg = tiny_config(tmp_path, data_root, num_classes=1000)
    os.remove(osp.join(data_root, 'ImageNet_LT_test.txt'))
    os.remove(osp.join(data_root, 'train/n00000001/n00000001_3.JPEG'))
    assert tool.main([cfg]) == 1
    out = capsys.readouterr().out
    assert (f'NOT READY: {data_root}/ImageNet_LT_train.txt:' in out
            and "image 'train/n00000001/n00000001_3.JPEG' is not under" in out)
    assert (f'NOT READY: ImageNetLT: {data_root}/ImageNet_LT_test.txt does '
            'not exist; download the list') in out
    # The validation list is fine but has 4 classes for a 1000-class head.
    assert ('PROBLEM: 4 classes, but the model predicts 1000; fix the data '
            'or the head num_classes.') in out
    assert out.rstrip().endswith('3 problem(s) found.')


def test_command_line(tmp_path):
    proc = run_tool([
        'tools/analysis/check_dataset.py', CE, '--loaders', 'train',
        '--cfg-options', 'train_dataloader.dataset.dataset.data_root=' +
        str(tmp_path / 'absent')
    ],
                    check=False)
    assert proc.returncode == 1
    assert 'NOT READY: LongTailDataset: `dataset.data_root`' in proc.stdout
    assert 'absent' in proc.stdout and 'val_dataloader' not in proc.stdout
