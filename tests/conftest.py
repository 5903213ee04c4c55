# Copyright (c) mmlt contributors. All rights reserved.
import os
import os.path as osp
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from data_utils import write_fashion_mnist  # noqa: E402


@pytest.fixture(scope='session')
def fmnist_root(tmp_path_factory):
    """A small Fashion-MNIST (20 train / 5 test images per class)."""
    return write_fashion_mnist(str(tmp_path_factory.mktemp('fmnist')))


@pytest.fixture(scope='session')
def repo_root():
    return ROOT


@pytest.fixture(autouse=True)
def _cpu_threads(monkeypatch):
    # Keep subprocesses from oversubscribing CI's two cores.
    monkeypatch.setenv('OMP_NUM_THREADS',
                       os.environ.get('OMP_NUM_THREADS', '2'))


@pytest.fixture(params=['cpu', 'cuda'])
def device(request):
    """Each device a test should pass on; ``cuda`` is skipped without a
    GPU (CI), so the same test runs on both where one exists."""
    import torch
    if request.param == 'cuda' and not torch.cuda.is_available():
        pytest.skip('CUDA is not available')
    return request.param
