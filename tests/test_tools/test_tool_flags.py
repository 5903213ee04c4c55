# Copyright (c) mmlt contributors. All rights reserved.
"""tools/test.py's mmpretrain flags, --cfg-options applied last, and
mmpretrain's own tools on mmlt configs."""
import glob
import importlib.util
import json
import os.path as osp
import sys

import pytest
from utils import FMNIST_CE, ROOT, run_tool, tiny_config

MMPRETRAIN_TOOLS = osp.join(
    osp.dirname(importlib.util.find_spec('mmpretrain').origin), '.mim',
    'tools')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'mmlt_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Captured(Exception):
    pass


def _final_cfg(tool, argv, monkeypatch):
    """The config ``tools/<tool>.py`` would build its runner from."""
    module = _load_tool(tool)
    seen = {}

    def from_cfg(cfg):
        seen['cfg'] = cfg
        raise _Captured

    monkeypatch.setattr(module.Runner, 'from_cfg', from_cfg)
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *argv])
    with pytest.raises(_Captured):
        module.main()
    return seen['cfg']


def test_cfg_options_are_applied_last(tmp_path, monkeypatch):
    cfg = _final_cfg('train', [
        FMNIST_CE, '--amp', '--work-dir',
        str(tmp_path / 'a'), '--cfg-options',
        'optim_wrapper.type=OptimWrapper', f'work_dir={tmp_path / "b"}'
    ], monkeypatch)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.work_dir == str(tmp_path / 'b')

    ckpt = tmp_path / 'fake.pth'
    ckpt.write_bytes(b'')
    cfg = _final_cfg('test', [
        FMNIST_CE,
        str(ckpt), '--amp', '--work-dir',
        str(tmp_path / 'a'), '--cfg-options', 'test_cfg.fp16=False',
        f'work_dir={tmp_path / "b"}'
    ], monkeypatch)
    assert cfg.test_cfg.fp16 is False
    assert cfg.work_dir == str(tmp_path / 'b')


def test_no_validate_with_val_options(tmp_path, monkeypatch):
    # The accuracy benchmark passes val_dataloader options to every train
    # run, also those with --no-validate: they must not fail to merge.
    cfg = _final_cfg('train', [
        FMNIST_CE, '--no-validate', '--work-dir',
        str(tmp_path / 'a'), '--cfg-options',
        'val_dataloader.dataset.data_root=elsewhere'
    ], monkeypatch)
    assert cfg.val_dataloader is None and cfg.val_cfg is None
    assert cfg.val_evaluator is None


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, fmnist_root):
    tmp = tmp_path_factory.mktemp('flags')
    cfg = tiny_config(tmp, fmnist_root, epochs=1)
    work = str(tmp / 'work')
    run_tool(['tools/train.py', cfg, '--work-dir', work, '--no-validate'])
    return cfg, osp.join(work, 'epoch_1.pth'), tmp


def test_test_flags(tiny_run):
    cfg, ckpt, tmp = tiny_run
    metrics = str(tmp / 'metrics.json')
    run_tool([
        'tools/test.py', cfg, ckpt, '--work-dir',
        str(tmp / 't1'), '--out', metrics, '--out-item', 'metrics', '--tta',
        '--amp'
    ])
    with open(metrics) as f:
        assert 0 <= json.load(f)['long-tail/top1'] <= 100

    # (mmpretrain's VisualizationHook cannot draw TTA batches: no --tta.)
    preds, shows = str(tmp / 'preds.pkl'), str(tmp / 'shows')
    run_tool([
        'tools/test.py', cfg, ckpt, '--work-dir',
        str(tmp / 't2'), '--out', preds, '--show-dir', shows, '--interval',
        '10'
    ])
    import pickle
    with open(preds, 'rb') as f:
        assert len(pickle.load(f)) == 50
    # Of the 50 test images, only every 10th (by index in its batch of 32:
    # 0, 10, 20, 30) is drawn.
    drawn = sorted(osp.basename(p) for p in glob.glob(osp.join(shows, '*')))
    assert drawn == ['0_0.png', '10_0.png', '20_0.png', '30_0.png'], drawn

    proc = run_tool(['tools/test.py', cfg, ckpt, '--out-item', 'metrics'],
                    check=False)
    assert proc.returncode != 0 and '--out-item needs --out' in proc.stderr


def test_mmpretrain_browse_dataset(tmp_path):
    # The `_scope_` of mmpretrain's runtime must not reach the visualizer.
    out = str(tmp_path / 'browse')
    run_tool([
        osp.join(MMPRETRAIN_TOOLS, 'visualization', 'browse_dataset.py'),
        FMNIST_CE, '-o', out, '-n', '2', '-m', 'original', '-p', 'test'
    ])
    assert len(glob.glob(osp.join(out, '*.jpg'))) == 2


def test_get_flops_uses_config_channels():
    proc = run_tool(
        ['tools/analysis/get_flops.py', FMNIST_CE, '--shape', '28'])
    assert 'Input shape: (1, 28, 28)' in proc.stdout
