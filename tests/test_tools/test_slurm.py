# Copyright (c) mmlt contributors. All rights reserved.
"""tools/slurm_train.sh and tools/slurm_test.sh on a live SLURM cluster.

The module fixture starts a one-node cluster on localhost from Debian's
``slurm-wlm`` and ``munge``: a private ``munged`` (own key and socket), a
``slurmctld`` and a ``slurmd`` whose node is ``localhost`` at 127.0.0.1,
all state, spool, key, socket, pid and log files under a temporary
directory, non-default ports, and no cgroup plugins (they fail in
containers). It stops every daemon it started, by PID. ``make test``
installs the packages; without them the tests skip.
"""
import getpass
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import pytest
import torch
from utils import (ROOT, failing_rank_config, find_one, free_port, run_tool,
                   tiny_config)

import mmlt  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)

#: The executables the cluster needs; the daemons live in /usr/sbin.
BINARIES = ('munged', 'munge', 'slurmctld', 'slurmd', 'srun', 'sinfo',
            'scontrol', 'scancel')
SEARCH_PATH = os.pathsep.join(
    [os.environ.get('PATH', ''), '/usr/sbin', '/sbin'])
PARTITION = 'mmlt'

SLURM_CONF = """\
ClusterName=mmlt-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
AuthInfo=socket={root}/munge.socket
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
# cgroup plugins fail in containers.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# The node declares 4 CPUs whatever the machine has.
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
NodeName=localhost NodeAddr=127.0.0.1 CPUs=4 State=UNKNOWN
PartitionName={partition} Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def _which(name):
    return shutil.which(name, path=SEARCH_PATH)


class LocalSlurmCluster:
    """munged, slurmctld and slurmd in the foreground, files under
    ``root``."""

    def __init__(self, root):
        self.root = root
        self.conf = osp.join(root, 'slurm.conf')
        self.procs = {}

    def client_env(self, **extra):
        """The environment of a client command of this cluster."""
        # An outer SLURM job's variables would send srun to that job.
        env = {
            k: v
            for k, v in os.environ.items() if not k.startswith('SLURM_')
        }
        env['PATH'] = SEARCH_PATH
        env['SLURM_CONF'] = self.conf
        env.update(extra)
        return env

    def start(self):
        root = self.root
        for sub in ('state', 'spool'):
            os.makedirs(osp.join(root, sub))
        key = osp.join(root, 'munge.key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        with open(self.conf, 'w') as f:
            f.write(
                SLURM_CONF.format(
                    root=root,
                    user=getpass.getuser(),
                    ctld_port=free_port(),
                    slurmd_port=free_port(),
                    partition=PARTITION))
        socket = osp.join(root, 'munge.socket')
        # --force: munged refuses some ownerships (root, /tmp) otherwise.
        self._spawn('munged', [
            _which('munged'), '--foreground', '--force', f'--socket={socket}',
            f'--key-file={key}', f'--pid-file={root}/munged.pid',
            f'--seed-file={root}/munged.seed', f'--log-file={root}/munged.log'
        ])
        self._wait('munged', [_which('munge'), '-n', '-S', socket],
                   lambda out: True)
        self._spawn('slurmctld', [_which('slurmctld'), '-D', '-f', self.conf])
        self._spawn(
            'slurmd',
            [_which('slurmd'), '-D', '-N', 'localhost', '-f', self.conf])
        self._wait('slurmd', [
            _which('sinfo'), '-h', '-n', 'localhost', '-p', PARTITION, '-o',
            '%t'
        ], lambda out: out.strip() == 'idle')

    def stop(self):
        """Cancel leftover jobs, then stop the daemons by PID."""
        if 'slurmctld' in self.procs and self.procs['slurmctld'].poll() is \
                None:
            subprocess.run([_which('scancel'), '-p', PARTITION],
                           env=self.client_env(),
                           capture_output=True,
                           timeout=30)
        for name in ('slurmd', 'slurmctld', 'munged'):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self):
        """Every daemon's output, for error messages."""
        text = []
        for name in ('munged', 'slurmctld', 'slurmd'):
            path = osp.join(self.root, f'{name}.out')
            if osp.exists(path):
                with open(path) as f:
                    text.append(f'--- {name}:\n{f.read()[-3000:]}')
        return '\n'.join(text)

    def _spawn(self, name, cmd):
        out = open(osp.join(self.root, f'{name}.out'), 'w')
        self.procs[name] = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.client_env(),
            cwd=self.root)
        out.close()

    def _wait(self, name, cmd, ready, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for daemon, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f'{daemon} exited with '
                                       f'{proc.returncode}:\n{self.logs()}')
            proc = subprocess.run(
                cmd, env=self.client_env(), capture_output=True, text=True)
            if proc.returncode == 0 and ready(proc.stdout):
                return
            time.sleep(0.2)
        raise RuntimeError(f'{name} not ready after {timeout} s:\n'
                           f'{self.logs()}')


@pytest.fixture(scope='module')
def slurm_cluster(tmp_path_factory):
    missing = [name for name in BINARIES if _which(name) is None]
    if missing:
        pytest.skip(f'the SLURM test needs Debian\'s slurm-wlm and munge '
                    f'({", ".join(missing)} not found); `make test` installs '
                    f'them (apt-get install slurm-wlm munge).')
    cluster = LocalSlurmCluster(str(tmp_path_factory.mktemp('slurm')))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _job_env(cluster, **extra):
    # Two CPU tasks on the node, trained with gloo.
    return cluster.client_env(
        GPUS='2',
        GPUS_PER_NODE='0',
        CPUS_PER_TASK='1',
        PYTHON=sys.executable,
        MASTER_PORT=str(free_port()),
        OMP_NUM_THREADS='1',
        **extra)


def _output(proc):
    return proc.stdout + proc.stderr


def test_slurm_train_and_test_two_tasks(slurm_cluster, tmp_path, fmnist_root):
    cfg = tiny_config(tmp_path, fmnist_root, epochs=1)
    work = str(tmp_path / 'work')
    proc = run_tool(
        ['bash', 'tools/slurm_train.sh', PARTITION, 'mmlt-train', cfg, work],
        env=_job_env(slurm_cluster),
        timeout=300)
    # srun can exit 0 when a task failed to launch: check what ran.
    assert 'srun: error' not in _output(proc), _output(proc)
    log = open(find_one(work, '*.log')).read()
    assert 'Distributed launcher: slurm' in log
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    # 78 images on 2 ranks of batch 16: ceil(39 / 16) = 3 steps.
    assert 'Epoch(train) [1][3/3]' in log
    ckpt_path = osp.join(work, 'epoch_1.pth')
    ckpt = torch.load(ckpt_path, map_location='cpu')
    assert ckpt['meta']['epoch'] == 1
    assert ckpt['meta']['class_counts'] == [
        int(20 * 10**(-i / 9)) for i in range(10)
    ]

    test_work = str(tmp_path / 'test')
    proc = run_tool([
        'bash', 'tools/slurm_test.sh', PARTITION, 'mmlt-test', cfg, ckpt_path,
        '--work-dir', test_work
    ],
                    env=_job_env(slurm_cluster),
                    timeout=300)
    out = _output(proc)
    assert 'srun: error' not in out, out
    assert 'GPU number: 2' in out
    assert 'Epoch(test) [1/1]' in out and 'long-tail/top1:' in out, out
    # The test set is the validation set of the run: the 2-task test of
    # the epoch-1 checkpoint reproduces the epoch-1 validation.
    tested = json.load(open(find_one(test_work, 'per_class', 'test.json')))
    validated = json.load(
        open(find_one(work, 'per_class', 'val_epoch_1.json')))
    assert tested['metrics'] == validated['metrics']
    assert sum(tested['per_class'][i]['support'] for i in range(10)) == 50


def test_slurm_failing_rank_stops_the_job(slurm_cluster, tmp_path,
                                          fmnist_root):
    cfg, hook_dir = failing_rank_config(tmp_path, fmnist_root)
    start = time.monotonic()
    proc = run_tool([
        'bash', 'tools/slurm_train.sh', PARTITION, 'mmlt-fail', cfg,
        str(tmp_path / 'work')
    ],
                    env=_job_env(
                        slurm_cluster,
                        PYTHONPATH=ROOT + os.pathsep + hook_dir),
                    check=False,
                    timeout=300)
    elapsed = time.monotonic() - start
    out = _output(proc)
    assert proc.returncode != 0, out
    assert 'rank 1 fails on purpose' in out
    # Rank 0 sleeps 600 s: srun --kill-on-bad-exit=1 ended it.
    assert elapsed < 200, (elapsed, out[-3000:])
