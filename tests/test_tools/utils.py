# Copyright (c) mmlt contributors. All rights reserved.
"""Run the project's command-line tools on small generated data."""
import importlib.util
import json
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FMNIST_CE = osp.join(ROOT,
                     'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py')


def tiny_config(tmp_path, data_root, name='tiny.py', extra='', epochs=2):
    """A config inheriting the Fashion-MNIST CE config, shrunk for tests.

    20 training images per class at IF 10 keep 20, 15, 12, 9, 7, 5, 4, 3, 2,
    2 images; the groups are Many > 15, Medium 5-15, Few < 5.
    """
    path = osp.join(str(tmp_path), name)
    with open(path, 'w') as f:
        f.write(f"""
_base_ = {FMNIST_CE!r}
train_dataloader = dict(
    batch_size=16, num_workers=0, persistent_workers=False,
    dataset=dict(imbalance_factor=10, dataset=dict(data_root={data_root!r})))
val_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data_root!r}))
test_dataloader = val_dataloader
val_evaluator = dict(many_thr=15, few_thr=5)
test_evaluator = val_evaluator
train_cfg = dict(max_epochs={epochs}, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
{extra}
""")
    return path


#: A hook that fails rank 1 while rank 0 hangs, as a rank blocked in an
#: NCCL collective does: only the launcher can end such a job.
FAILING_RANK_HOOK = """\
import time
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class MmltTestFailOnRankOneHook(Hook):

    def before_train(self, runner):
        if get_rank() == 1:
            raise RuntimeError('rank 1 fails on purpose')
        time.sleep(600)
"""


def failing_rank_config(tmp_path, data_root):
    """A tiny config whose rank 1 fails and rank 0 sleeps 600 s.

    Returns:
        tuple[str, str]: The config path and the folder to put on
        ``PYTHONPATH`` for its hook module.
    """
    with open(osp.join(str(tmp_path), 'mmlt_test_failing_rank.py'), 'w') as f:
        f.write(FAILING_RANK_HOOK)
    cfg = tiny_config(
        tmp_path,
        data_root,
        name='failing_rank.py',
        epochs=1,
        extra="custom_imports = dict(imports=['mmlt_test_failing_rank'])\n"
        "custom_hooks = [dict(type='ClassCountsHook'), "
        "dict(type='MmltTestFailOnRankOneHook')]")
    return cfg, str(tmp_path)


def load_module(relpath):
    """Import a tool script (``tools/...py``, relative to the repository
    root) as a module, without running its ``main``."""
    name = osp.splitext(osp.basename(relpath))[0]
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(ROOT, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(args, check=True, env=None, timeout=600):
    """Run a command from the repository root with this interpreter."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = ROOT + os.pathsep + full_env.get('PYTHONPATH', '')
    full_env.update(env or {})
    cmd = [sys.executable
           ] + list(args) if args[0].endswith('.py') else list(args)
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{cmd} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}')
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def find_one(work_dir, *parts):
    """The single file matching ``work_dir/<timestamp>/parts``."""
    import glob
    found = sorted(glob.glob(osp.join(work_dir, '*', *parts)))
    assert found, f'no {parts} under {work_dir}'
    return found[-1]


def read_json(path):
    with open(path) as f:
        return json.load(f)
