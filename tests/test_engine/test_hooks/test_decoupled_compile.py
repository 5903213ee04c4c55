# Copyright (c) mmlt contributors. All rights reserved.
"""``compile=True`` survives DecoupledStageHook's re-wrapping of the model.

mmengine compiles ``runner.model.train_step`` before ``before_train``; the
hook then replaces ``runner.model`` by a new DDP wrapper. The test runs the
one-run cRT config through a real Runner on a one-rank gloo group (so the
model is wrapped and re-wrapped) with ``torch.compile`` replaced by a
recorder, and checks which ``train_step`` runs after the switch.
"""
import os.path as osp

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.runner import Runner
from test_tools.utils import FMNIST_CE, ROOT, free_port, tiny_config

import mmlt  # noqa: F401
from mmlt.engine.hooks import DecoupledStageHook
from mmlt.engine.hooks import decoupled_stage_hook as hook_module
from mmlt.utils import setup_cpu_distributed

ONERUN = osp.join(ROOT, 'configs', 'decoupling',
                  'crt-onerun_resnet8_1xb128_fashion-mnist-lt-r100.py')


class CompileRecorder:
    """Stands in for ``torch.compile``: returns a function that counts its
    calls and runs the original."""

    def __init__(self):
        self.compiled = []  # [owner of the method, calls]

    def __call__(self, fn, **kwargs):
        record = [getattr(fn, '__self__', None), 0]
        self.compiled.append(record)

        def compiled(*args, **kw):
            record[1] += 1
            return fn(*args, **kw)

        compiled.__wrapped__ = fn
        return compiled


def onerun_config(tmp_path, data_root):
    path = tiny_config(
        tmp_path,
        data_root,
        'onerun.py',
        epochs=2,
        extra="custom_hooks = _base_.custom_hooks\n"
        "custom_hooks[-1]['switch_epoch'] = 1\n"
        "compile = True\n")
    with open(path) as f:
        text = f.read()
    text = text.replace(repr(FMNIST_CE), repr(ONERUN), 1)
    with open(path, 'w') as f:
        f.write(text)
    cfg = Config.fromfile(path)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.launcher = 'pytorch'
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.train_cfg.val_interval = 100
    return cfg


@pytest.fixture
def one_rank_group(monkeypatch):
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU gloo set-up')
def test_second_stage_runs_the_compiled_train_step(tmp_path, fmnist_root,
                                                   one_rank_group,
                                                   monkeypatch):
    cfg = onerun_config(tmp_path, fmnist_root)
    assert setup_cpu_distributed(cfg, 'pytorch')
    recorder = CompileRecorder()
    monkeypatch.setattr(torch, 'compile', recorder)
    runner = Runner.from_cfg(cfg)
    hook = next(h for h in runner.hooks if isinstance(h, DecoupledStageHook))
    runner.train()
    assert hook.switched
    # mmengine's compile of the first wrapper, then the hook's of the new.
    assert len(recorder.compiled) == 2, recorder.compiled
    (first, first_calls), (second, second_calls) = recorder.compiled
    assert first is not second and second is runner.model
    # Epoch 1 on the first wrapper, epoch 2 on the re-wrapped model,
    # through its compiled train_step.
    per_epoch = runner.max_iters // 2
    assert (first_calls, second_calls) == (per_epoch, per_epoch)
    assert runner.model.train_step.__wrapped__.__self__ is runner.model


class _Runner:
    """Just enough of a runner for the hook's compile step."""

    def __init__(self, compile_cfg, with_compile=True):
        self.cfg = Config(dict(compile=compile_cfg))
        self.calls = []
        if with_compile:
            self._maybe_compile = self.calls.append


@pytest.mark.parametrize('compile_cfg', [None, False])
def test_no_compile_no_recompile(compile_cfg):
    runner = _Runner(compile_cfg)
    assert not hook_module._compile_enabled(runner)


def test_compile_dict_and_missing_support():
    runner = _Runner(dict(backend='eager'))
    assert hook_module._compile_enabled(runner)
    hook_module._compile_train_step(runner)
    assert runner.calls == ['train_step']
    with pytest.raises(RuntimeError, match='has no `_maybe_compile`'):
        hook_module._compile_train_step(_Runner(True, with_compile=False))
