# Copyright (c) mmlt contributors. All rights reserved.
"""GPU smoke test: every Fashion-MNIST config trains a few iterations on
CUDA, in float32, under AMP (float16 and bfloat16) and on 2 DDP ranks.

For every config ``configs/**/*fashion-mnist*.py`` and every mode, a
mmengine ``Runner`` is built in this process and trains ``--epochs`` epochs
of ``--iters`` iterations each on the prepared Fashion-MNIST-LT
(``data/fashion_mnist``); stage switches are moved to epoch 1 so they run
too (``DecoupledStageHook.switch_epoch``, ``DeferredReweightingHook.
drw_epoch``, ``meta_start_epoch``), and second stages load an untrained
ResNet-8 CE checkpoint. Modes:

- ``fp32``: the config as it is;
- ``fp16``, ``bf16``: ``AmpOptimWrapper`` with that dtype (``--amp``);
- ``ddp2``: ``torchrun --nproc_per_node 2`` of this script, looping over
  the configs in two processes (NCCL with two GPUs; with one GPU both ranks
  share it through gloo, which NCCL does not allow).

One JSON line per config and mode goes to stdout and ``--out``: ``config``,
``mode``, ``status`` (``ok``, ``failed``, ``skipped``), ``iters``, the first
and last logged ``loss``, ``finite``, ``seconds``, ``peak_mem_mb``,
``device`` and ``error``. A run fails when it raises or a loss is not
finite. ``--budget-min`` (default 9) bounds the whole run: configs not
started in time are reported ``skipped``, so a GPU session of 10 minutes
always ends with a full report.

Without CUDA the script exits with a message (status 2), unless
``--dry-run`` (list what would run) or ``--device cpu`` (for tests).

Examples::

    python tools/smoke_gpu.py --out work_dirs/smoke_gpu.jsonl
    python tools/smoke_gpu.py --modes fp16 --configs eql ghm
    python tools/smoke_gpu.py --dry-run
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import time
import traceback
import uuid

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODES = ('fp32', 'fp16', 'bf16', 'ddp2')
AMP_DTYPES = {'fp16': 'float16', 'bf16': 'bfloat16'}
CE_CONFIG = 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'
NO_CUDA = ('smoke_gpu.py: CUDA is not available on this machine; this smoke '
           'test trains on a GPU. Run it on a CUDA machine, or pass '
           '--dry-run to list the runs (--device cpu runs them on the CPU, '
           'without the AMP and DDP modes).')


def discover_configs(root=ROOT, patterns=None):
    """The Fashion-MNIST configs (``configs/**/*fashion-mnist*.py``, not
    ``_base_``), relative to ``root``, sorted; with ``patterns``, those
    whose path contains one of them."""
    paths = glob.glob(
        osp.join(root, 'configs', '**', '*fashion-mnist*.py'), recursive=True)
    rels = sorted(
        osp.relpath(p, root) for p in paths
        if '_base_' not in osp.relpath(p, root).split(os.sep))
    if patterns:
        rels = [r for r in rels if any(p in r for p in patterns)]
    return rels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train every Fashion-MNIST config a few iterations on '
        'CUDA (fp32, AMP fp16/bf16, 2-rank DDP); one JSON line per run.')
    parser.add_argument(
        '--modes',
        nargs='+',
        choices=MODES,
        default=list(MODES),
        help='what to run (default: all)')
    parser.add_argument(
        '--configs',
        nargs='+',
        metavar='SUBSTRING',
        help='only configs whose path contains one of these')
    parser.add_argument(
        '--iters',
        type=int,
        default=3,
        help='iterations per epoch (default: 3)')
    parser.add_argument(
        '--epochs',
        type=int,
        default=2,
        help='epochs; stage switches happen at epoch 1 (default: 2)')
    parser.add_argument(
        '--data-root',
        default=osp.join(ROOT, 'data', 'fashion_mnist'),
        help='prepared Fashion-MNIST (default: data/fashion_mnist)')
    parser.add_argument('--out', help='also append the JSON lines here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides applied to every config (mmengine syntax)')
    parser.add_argument(
        '--device',
        default='cuda',
        choices=['cuda', 'cpu'],
        help='cpu is for testing the script (default: cuda)')
    parser.add_argument(
        '--budget-min',
        type=float,
        default=9.0,
        help='stop starting runs after this many minutes (default: 9)')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print the runs as JSON lines without training')
    parser.add_argument(
        '--ddp-worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.iters < 1 or args.epochs < 1:
        parser.error('--iters and --epochs must be positive')
    return args


class _Limited:
    """A dataloader cut to ``num`` batches (``len`` included)."""

    def __init__(self, loader, num):
        self._loader, self._num = loader, min(num, len(loader))

    def __len__(self):
        return self._num

    def __iter__(self):
        for index, batch in enumerate(self._loader):
            if index >= self._num:
                break
            yield batch

    def __getattr__(self, name):
        return getattr(self._loader, name)


def _smoke_hook(iters):
    """A hook cutting epochs to ``iters`` iterations and recording the
    losses (registered lowest, after any hook that rebuilds the loader)."""
    from mmengine.hooks import Hook

    class SmokeHook(Hook):
        priority = 'LOWEST'

        def __init__(self):
            self.losses = []

        def before_train_epoch(self, runner):
            loop = runner.train_loop
            if not isinstance(loop.dataloader, _Limited):
                loop.dataloader = _Limited(loop.dataloader, iters)

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None):
            self.losses.append(float(outputs['loss']))

    return SmokeHook()


def smoke_config(rel, mode, args, work_dir, stage_one, launcher='none'):
    """Build and train one config; the result as a dict."""
    import torch
    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, rel))
    if args.cfg_options:
        options = argparse.Namespace()
        DictAction(
            option_strings=[], dest='opts')(None, options, args.cfg_options)
        cfg.merge_from_dict(options.opts)
    for loader in ('train_dataloader', 'val_dataloader', 'dev_dataloader'):
        if cfg.get(loader):
            dataset = cfg[loader].dataset
            inner = dataset.get('dataset', dataset)
            inner.data_root = args.data_root
            cfg[loader].update(num_workers=2, persistent_workers=False)
    cfg.train_cfg.max_epochs = args.epochs
    cfg.train_cfg.val_interval = args.epochs
    adaptive = False
    for hook in cfg.get('custom_hooks', []):
        if hook.get('switch_epoch', 0) > 1:
            hook.switch_epoch = 1
        if hook.get('drw_epoch', 0) > 1:
            hook.drw_epoch = 1
        adaptive |= hook.get('type') == 'AdaptiveConfidenceHook'
    if cfg.model.get('meta_start_epoch', 0) > 1:
        cfg.model.meta_start_epoch = 1
    if not adaptive:  # GLAG's adaptive confidence needs validation
        for key in ('val_dataloader', 'val_evaluator', 'val_cfg'):
            cfg[key] = None
    second_stage = any(
        h.get('type') == 'DecoupledStageHook' and h.get('switch_epoch') == 0
        for h in cfg.get('custom_hooks', []))
    if second_stage:
        cfg.load_from = stage_one
    if mode in AMP_DTYPES:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = AMP_DTYPES[mode]
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1000)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = osp.join(work_dir, uuid.uuid4().hex)
    cfg.experiment_name = uuid.uuid4().hex
    cfg.launcher = launcher
    cfg.log_level = 'WARNING'
    if launcher != 'none' and torch.cuda.device_count() < int(
            os.environ.get('WORLD_SIZE', 1)):
        # Ranks sharing a GPU: NCCL refuses, gloo does CUDA all-reduces.
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        cfg.env_cfg.dist_cfg.backend = 'gloo'
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=[torch.cuda.current_device()],
            broadcast_buffers=False)

    result = dict(config=rel, mode=mode, device=args.device)
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        runner = Runner.from_cfg(cfg)
        hook = _smoke_hook(args.iters)
        runner.register_hook(hook)
        runner.train()
        finite = bool(torch.isfinite(torch.tensor(hook.losses)).all())
        result.update(
            status='ok' if finite and hook.losses else 'failed',
            iters=len(hook.losses),
            loss_first=hook.losses[0] if hook.losses else None,
            loss_last=hook.losses[-1] if hook.losses else None,
            finite=finite)
        if not finite:
            result['error'] = 'non-finite loss'
    except Exception as error:  # report and go on with the next config
        result.update(
            status='failed',
            error=f'{type(error).__name__}: '
            f'{str(error).strip().splitlines()[0] if str(error) else ""}',
            where=traceback.format_exc().strip().splitlines()[-3:])
    result['seconds'] = round(time.perf_counter() - start, 2)
    if args.device == 'cuda':
        result['peak_mem_mb'] = round(
            torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def stage_one_checkpoint(directory):
    """An untrained ResNet-8 CE model's weights, for second stages."""
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    import mmlt  # noqa: F401
    path = osp.join(directory, 'stage1.pth')
    if not osp.exists(path):
        model = MODELS.build(Config.fromfile(osp.join(ROOT, CE_CONFIG)).model)
        model.init_weights()
        torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


class Reporter:
    """Prints JSON lines and appends them to ``--out``."""

    def __init__(self, out):
        self.out = out
        if out:
            os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)

    def __call__(self, record):
        line = json.dumps(record, sort_keys=True)
        print(line, flush=True)
        if self.out:
            with open(self.out, 'a') as f:
                f.write(line + '\n')


def run_modes(configs, modes, args, report, deadline, launcher='none', rank=0):
    import mmlt  # noqa: F401
    with tempfile.TemporaryDirectory() as work_dir:
        stage_one = stage_one_checkpoint(work_dir)
        for mode in modes:
            for rel in configs:
                if time.time() > deadline:
                    record = dict(
                        config=rel,
                        mode=mode,
                        status='skipped',
                        error='time budget (--budget-min) spent')
                else:
                    record = smoke_config(rel, mode, args, work_dir, stage_one,
                                          launcher)
                if rank == 0:
                    report(record)


def ddp_worker(args):
    """One of the torchrun processes: every config on 2 ranks."""
    import torch
    import torch.distributed as dist
    if torch.cuda.device_count() >= int(os.environ['WORLD_SIZE']):
        backend = 'nccl'
    else:
        backend = 'gloo'
    torch.cuda.set_device(
        int(os.environ['LOCAL_RANK']) % torch.cuda.device_count())
    dist.init_process_group(backend)
    try:
        run_modes(
            discover_configs(patterns=args.configs), ['ddp2'], args,
            Reporter(args.out), args.deadline, 'pytorch', dist.get_rank())
    finally:
        dist.destroy_process_group()


def launch_ddp(args, report, deadline):
    """``torchrun --nproc_per_node 2`` of this script; a run cut by the
    budget is reported as such."""
    command = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port',
        str(29500 + os.getpid() % 1000),
        osp.abspath(__file__), '--ddp-worker', '--deadline',
        str(deadline), '--iters',
        str(args.iters), '--epochs',
        str(args.epochs), '--data-root', args.data_root, '--device',
        args.device
    ]
    if args.configs:
        command += ['--configs'] + args.configs
    if args.cfg_options:
        command += ['--cfg-options'] + args.cfg_options
    if args.out:
        command += ['--out', args.out]
    remaining = max(deadline - time.time(), 0) + 60
    try:
        proc = subprocess.run(command, cwd=ROOT, timeout=remaining)
        if proc.returncode:
            report(
                dict(
                    config='*',
                    mode='ddp2',
                    status='failed',
                    error=f'torchrun exited with {proc.returncode}'))
    except subprocess.TimeoutExpired:
        report(
            dict(
                config='*',
                mode='ddp2',
                status='failed',
                error='torchrun exceeded the time budget (a hung rank?)'))


def main(argv=None):
    args = parse_args(argv)
    if args.ddp_worker:
        ddp_worker(args)
        return 0
    configs = discover_configs(patterns=args.configs)
    report = Reporter(args.out)
    if not configs:
        print(
            f'smoke_gpu.py: no config matches {args.configs}.',
            file=sys.stderr)
        return 2
    if args.dry_run:
        for mode in args.modes:
            for rel in configs:
                report(dict(config=rel, mode=mode, status='dry-run'))
        return 0
    import torch
    if args.device == 'cuda' and not torch.cuda.is_available():
        print(NO_CUDA, file=sys.stderr)
        return 2
    if args.device == 'cpu' and set(args.modes) - {'fp32'}:
        print(
            'smoke_gpu.py: --device cpu runs the fp32 mode only (AMP and '
            'the DDP mode need CUDA); pass --modes fp32.',
            file=sys.stderr)
        return 2
    deadline = time.time() + 60 * args.budget_min
    single = [m for m in args.modes if m != 'ddp2']
    if 'ddp2' in args.modes:
        # Leave the 2-rank run a third of the budget.
        single_deadline = deadline - 60 * args.budget_min / 3
    else:
        single_deadline = deadline
    run_modes(configs, single, args, report, single_deadline)
    if 'ddp2' in args.modes:
        launch_ddp(args, report, deadline)
    return 0


if __name__ == '__main__':
    sys.exit(main())
