# Copyright (c) mmlt contributors. All rights reserved.
"""tools/smoke_gpu.py on the CPU: config discovery, JSON lines, the
no-CUDA message, and one real (CPU) run through its training path."""
import glob
import json
import os.path as osp

import pytest
import torch
from test_tools.utils import ROOT, run_tool


def lines(text):
    return [
        json.loads(line) for line in text.splitlines() if line.startswith('{')
    ]


def test_dry_run_lists_every_fashion_mnist_config(tmp_path):
    out = tmp_path / 'smoke.jsonl'
    proc = run_tool(['tools/smoke_gpu.py', '--dry-run', '--out', str(out)])
    expected = sorted(
        osp.relpath(p, ROOT) for p in glob.glob(
            osp.join(ROOT, 'configs', '*', '*fashion-mnist*.py')))
    assert len(expected) > 30
    records = lines(proc.stdout)
    assert records == lines(out.read_text())
    for mode in ('fp32', 'fp16', 'bf16', 'ddp2'):
        assert [r['config'] for r in records if r['mode'] == mode] == expected
    assert {r['status'] for r in records} == {'dry-run'}
    # A filter keeps the matching configs.
    proc = run_tool([
        'tools/smoke_gpu.py', '--dry-run', '--modes', 'fp16', '--configs',
        'eql/', 'ghm/ghm_'
    ])
    assert [(r['config'], r['mode']) for r in lines(proc.stdout)] == [
        ('configs/eql/eql_resnet8_1xb128_fashion-mnist-lt-r100.py', 'fp16'),
        ('configs/ghm/ghm_resnet8_1xb128_fashion-mnist-lt-r100.py', 'fp16')
    ]


@pytest.mark.skipif(
    torch.cuda.is_available(), reason='needs a CPU-only '
    'machine')
def test_without_cuda_exits_with_a_message():
    proc = run_tool(['tools/smoke_gpu.py', '--configs', 'ce/ce_'], check=False)
    assert proc.returncode == 2
    assert 'CUDA is not available' in proc.stderr
    assert '--dry-run' in proc.stderr
    assert not lines(proc.stdout)


def test_cpu_run_of_one_config(tmp_path, fmnist_root):
    # The training path itself, on the small generated data: a second
    # stage (loads the untrained stage-one checkpoint, switches at 0).
    out = tmp_path / 'smoke.jsonl'
    proc = run_tool([
        'tools/smoke_gpu.py', '--device', 'cpu', '--modes', 'fp32',
        '--configs', 'decoupling/crt_', '--iters', '2', '--data-root',
        fmnist_root, '--out',
        str(out), '--cfg-options',
        'train_dataloader.dataset.imbalance_factor=10',
        'train_dataloader.batch_size=16'
    ])
    record, = lines(out.read_text())
    assert lines(proc.stdout) == [record]
    assert record['status'] == 'ok', record
    assert record['config'] == ('configs/decoupling/'
                                'crt_resnet8_1xb128_fashion-mnist-lt-r100.py')
    # 79 images in batches of 16, cut to 2 an epoch; 2 epochs.
    assert record['iters'] == 4 and record['finite']
    assert record['mode'] == 'fp32' and record['device'] == 'cpu'
    # AMP and DDP need CUDA.
    proc = run_tool(
        ['tools/smoke_gpu.py', '--device', 'cpu', '--modes', 'fp16'],
        check=False)
    assert proc.returncode == 2 and '--modes fp32' in proc.stderr
