# Copyright (c) mmlt contributors. All rights reserved.
"""tools/dist_train.sh with 2 CPU processes (gloo)."""
import os
import os.path as osp
import sys
import time

import torch
from utils import (ROOT, failing_rank_config, find_one, free_port, run_tool,
                   tiny_config)

import mmlt  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)


def test_dist_train_two_processes_on_cpu(tmp_path, fmnist_root):
    cfg = tiny_config(tmp_path, fmnist_root, epochs=1)
    work = str(tmp_path / 'work')
    env = dict(PYTHON=sys.executable, PORT=str(free_port()))
    run_tool(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work],
             env=env)
    log = open(find_one(work, '*.log')).read()
    assert 'Distributed training: True' in log
    # 78 images on 2 ranks of batch 16: ceil(39 / 16) = 3 steps per epoch,
    # half the 5 steps of one process.
    assert 'Epoch(train) [1][3/3]' in log
    ckpt = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu')
    # Every rank counted the whole training set, not its shard.
    assert ckpt['meta']['class_counts'] == [
        int(20 * 10**(-i / 9)) for i in range(10)
    ]


def test_dist_train_failing_rank_fails_the_job(tmp_path, fmnist_root):
    cfg = tiny_config(
        tmp_path,
        fmnist_root,
        epochs=1,
        extra='model = dict(head=dict(num_classes=7))')
    env = dict(PYTHON=sys.executable, PORT=str(free_port()))
    proc = run_tool([
        'bash', 'tools/dist_train.sh', cfg, '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                    env=env,
                    check=False,
                    timeout=300)
    assert proc.returncode != 0
    assert 'model.head.num_classes is 7' in proc.stderr + proc.stdout


def test_dist_train_one_failing_rank_stops_the_job(tmp_path, fmnist_root):
    # Rank 1 fails while rank 0 sleeps 600 s: torchrun stops rank 0.
    cfg, hook_dir = failing_rank_config(tmp_path, fmnist_root)
    env = dict(
        PYTHON=sys.executable,
        PORT=str(free_port()),
        PYTHONPATH=ROOT + os.pathsep + hook_dir)
    start = time.monotonic()
    proc = run_tool([
        'bash', 'tools/dist_train.sh', cfg, '2', '--work-dir',
        str(tmp_path / 'work')
    ],
                    env=env,
                    check=False,
                    timeout=300)
    assert proc.returncode != 0
    assert 'rank 1 fails on purpose' in proc.stderr + proc.stdout
    assert time.monotonic() - start < 200
