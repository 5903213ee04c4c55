# Copyright (c) mmlt contributors. All rights reserved.
"""tools/train.py -> tools/test.py -> --resume, end to end."""
import os.path as osp

import numpy as np
import torch
from utils import find_one, read_json, run_tool, tiny_config

import mmlt  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)

EXPECTED_COUNTS = [int(20 * 10**(-i / 9)) for i in range(10)]


def test_train_then_test_then_resume(tmp_path, fmnist_root):
    # TensorBoard is optional; this run switches it on.
    tensorboard = ("visualizer = dict(vis_backends=[dict(type="
                   "'LocalVisBackend'), dict(type='TensorboardVisBackend')])")
    cfg = tiny_config(tmp_path, fmnist_root, epochs=2, extra=tensorboard)
    work = str(tmp_path / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work])
    ckpt = osp.join(work, 'epoch_2.pth')
    assert osp.isfile(ckpt)

    checkpoint = torch.load(ckpt, map_location='cpu')
    assert checkpoint['meta']['class_counts'] == EXPECTED_COUNTS

    # Validation wrote per-class recall with the training counts, and the
    # scalars reached the vis backend.
    val = read_json(find_one(work, 'per_class', 'val_epoch_2.json'))
    assert [c['train_count'] for c in val['per_class']] == EXPECTED_COUNTS
    scalars = open(find_one(work, 'vis_data', 'scalars.json')).read()
    assert 'long-tail/gmean_recall' in scalars
    assert find_one(work, 'vis_data', 'events.out.tfevents.*')

    # A test-only run gets the counts from the checkpoint.
    test_dir = str(tmp_path / 'test')
    run_tool(['tools/test.py', cfg, ckpt, '--work-dir', test_dir])
    result = read_json(find_one(test_dir, 'per_class', 'test.json'))
    assert [c['train_count'] for c in result['per_class']] == EXPECTED_COUNTS
    assert {
        'top1', 'many', 'medium', 'few', 'gmean_recall', 'hmean_recall',
        'lowest_recall'
    } <= set(result['metrics'])
    assert osp.getsize(find_one(test_dir, 'per_class', 'test.png')) > 1000

    # A new run must not overwrite the old one's checkpoints...
    proc = run_tool(['tools/train.py', cfg, '--work-dir', work], check=False)
    assert proc.returncode != 0
    assert 'Pass --resume' in proc.stderr
    before = osp.getmtime(ckpt)
    # ...while --resume continues it.
    run_tool([
        'tools/train.py', cfg, '--work-dir', work, '--resume', '--cfg-options',
        'train_cfg.max_epochs=3'
    ])
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))
    assert osp.getmtime(ckpt) == before


def test_resume_continues_exactly(tmp_path, fmnist_root):
    # No random augmentation, so two runs see the same batches.
    # (An item assignment: a second `train_dataloader = dict(...)` would
    # replace the tiny config's one, data root and batch size included.)
    extra = ("train_dataloader['dataset']['dataset']['pipeline'] = "
             "[dict(type='PackInputs')]")
    cfg = tiny_config(tmp_path, fmnist_root, extra=extra, epochs=2)
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_tool(['tools/train.py', cfg, '--work-dir', straight])
    run_tool([
        'tools/train.py', cfg, '--work-dir', split, '--cfg-options',
        'train_cfg.max_epochs=1'
    ])
    run_tool(['tools/train.py', cfg, '--work-dir', split, '--resume'])
    a = torch.load(osp.join(straight, 'epoch_2.pth'), map_location='cpu')
    b = torch.load(osp.join(split, 'epoch_2.pth'), map_location='cpu')
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    # The first epoch changed the weights: the check is not vacuous.
    c = torch.load(osp.join(split, 'epoch_1.pth'), map_location='cpu')
    assert not all(
        torch.equal(c['state_dict'][k], b['state_dict'][k])
        for k in b['state_dict'] if b['state_dict'][k].is_floating_point())
    assert np.isclose(a['optimizer']['param_groups'][0]['lr'],
                      b['optimizer']['param_groups'][0]['lr'])
