# Copyright (c) mmlt contributors. All rights reserved.
"""Train and test a few long-tail methods on real Fashion-MNIST-LT (IF 100).

``make demo`` runs the default set, which tells the story in about three
and a half minutes on two CPU cores: plain cross-entropy (accurate on the
head classes, blind to the rarest), a re-balanced loss, and the headline
methods of two of the papers mmlt implements. The re-balanced loss is GLAG's
stage one, the gradual balanced loss (GraLoss: a logit adjustment whose
strength rises to balanced softmax's), so that GLAG (Zhang and Xiang, 2022)
continues from it with the adaptive feature generator; GML with the
ensemble of old and new classifiers (Du and Wu, CVPR 2023) continues from
the CE model. That is two chains of two runs, one per core. Every run uses
its config's full quick recipe (6 epochs, second stages 2 more); to save
time they skip the in-training validation (except GLAG's second stage,
whose adaptive confidence needs it) and are tested once at the end.
``make demo-full`` (``--full``) adds balanced softmax (Ren et al. 2020),
category-wise GHM (Zhang et al., ICASSP 2022), meta-reweighting (Jamal et
al., CVPR 2020) and cRT in one run. The quick recipe leaves CE far from
converged (see docs/en/benchmarks.md): the demo shows the mechanisms, the
converged benchmark judges them.

Each run trains and tests in one process in ``work_dirs/demo/<config>``,
with its whole log in ``<config>/demo.log``; the terminal shows one line per
run and, at the end, the table (also ``work_dirs/demo/results.md``) and
where the per-class recall plots are. A finished run is not trained again.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
# One import per line: isort would join them into a bracketed import that
# yapf then splits, leaving `noqa` off the line flake8 reports.
# isort: off
from compare_work_dirs import COLUMNS, find_result, format_value  # noqa: E402
from compare_work_dirs import load_metrics, markdown_table  # noqa: E402
# isort: on

_FM = '_resnet8_1xb128_fashion-mnist-lt-r100.py'
CE = f'configs/ce/ce{_FM}'
GLAG_1 = f'configs/glag/glag-stage1{_FM}'

#: The default demo: CE, a re-balanced loss (GraLoss, GLAG's stage one) and
#: two papers' headline methods; the two chains run side by side.
DEMO_CONFIGS = [
    CE,
    GLAG_1,
    f'configs/gml/ce-gml-ensemble{_FM}',
    f'configs/glag/glag-stage2{_FM}',
]
#: ``--full`` adds balanced softmax, the other papers' headline methods and
#: cRT in one run.
FULL_CONFIGS = DEMO_CONFIGS + [
    f'configs/balanced-softmax/balanced-softmax{_FM}',
    f'configs/category-ghm/category-ghm{_FM}',
    f'configs/meta-reweight/meta-reweight-ce{_FM}',
    f'configs/decoupling/crt-onerun{_FM}',
]
#: Second stages: config -> the config whose last checkpoint is its
#: ``load_from``.
STAGE_ONE = {
    f'configs/gml/ce-gml-ensemble{_FM}': CE,
    f'configs/glag/glag-stage2{_FM}': GLAG_1,
}
#: Configs whose hooks need validation during training (GLAG's adaptive
#: confidence adapts on the development split after every epoch).
VALIDATE = {f'configs/glag/glag-stage2{_FM}'}
RESULT = 'demo_result.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--full',
        action='store_true',
        help='run every demo method (make demo-full)')
    parser.add_argument(
        '--configs', nargs='+', help='run these configs instead')
    parser.add_argument(
        '--work-dir', default='work_dirs/demo', help='where runs are kept')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='runs trained side by side, one thread each (default 2)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='overrides passed to every run')
    parser.add_argument('--run-one', nargs=2, help=argparse.SUPPRESS)
    parser.add_argument('--load-from', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_one(config, work_dir, load_from, cfg_options):
    """Train then test one config in this process (the worker mode)."""
    from mmengine.config import Config, DictAction
    from mmengine.runner import Runner

    import mmlt  # noqa: F401
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.work_dir = work_dir
    if config not in VALIDATE:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if load_from:
        cfg.load_from = load_from
    if osp.exists(osp.join(work_dir, 'last_checkpoint')):
        cfg.resume = True
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--o', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--o', *cfg_options]).o)
    runner = Runner.from_cfg(cfg)
    start = time.time()
    runner.train()
    train_s = time.time() - start
    runner.test()
    with open(osp.join(work_dir, RESULT), 'w') as f:
        json.dump(dict(train_s=train_s, total_s=time.time() - start), f)


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


class Demo:
    """Runs the configs, second stages after their first, ``jobs`` at a
    time, and prints a line as each finishes."""

    def __init__(self, configs, work_root, jobs, cfg_options):
        self.configs = configs
        self.work_root = work_root
        self.jobs = jobs
        self.cfg_options = cfg_options
        self.finished = 0

    def work_dir(self, config):
        name = osp.splitext(osp.basename(config))[0]
        return osp.join(self.work_root, name)

    def run(self, config, stage_one_future=None):
        if stage_one_future is not None:
            stage_one_future.result()
        work_dir = self.work_dir(config)
        os.makedirs(work_dir, exist_ok=True)
        start = time.time()
        if not osp.exists(osp.join(work_dir, RESULT)):
            cmd = [
                sys.executable,
                osp.abspath(__file__), '--run-one', config, work_dir
            ]
            if config in STAGE_ONE:
                cmd += [
                    '--load-from',
                    last_checkpoint(self.work_dir(STAGE_ONE[config]))
                ]
            if self.cfg_options:
                cmd += ['--cfg-options', *self.cfg_options]
            env = dict(os.environ, OMP_NUM_THREADS='1')
            log = osp.join(work_dir, 'demo.log')
            with open(log, 'a') as f:
                proc = subprocess.run(
                    cmd, cwd=ROOT, env=env, stdout=f, stderr=f)
            if proc.returncode != 0:
                raise RuntimeError(f'{config} failed; its log: {log}')
        return time.time() - start

    def report(self, config, wall):
        self.finished += 1
        metrics = load_metrics(find_result(self.work_dir(config)))
        with open(osp.join(self.work_dir(config), RESULT)) as f:
            train_s = json.load(f)['train_s']
        name = osp.splitext(osp.basename(config))[0].replace(_FM[:-3], '')
        reused = ' (kept from an earlier run)' if wall < 1 else ''
        print(
            f'[{self.finished}/{len(self.configs)}] {name}: '
            f'{train_s:.0f} s training{reused}, '
            f'top-1 {format_value(metrics.get("top1"))}, '
            f'H-mean {format_value(metrics.get("hmean_recall"))}, '
            f'lowest {format_value(metrics.get("lowest_recall"))}',
            flush=True)

    def main(self):
        futures = {}
        with ThreadPoolExecutor(max_workers=len(self.configs)) as pool:
            # Stage ones first, so a second stage never holds a job slot
            # while it waits for them.
            slots = _Slots(self.jobs)
            for config in self.configs:
                first = futures.get(STAGE_ONE.get(config))
                futures[config] = pool.submit(slots.run, self.run, config,
                                              first)
            for config in _completion_order(futures):
                self.report(config, futures[config].result())


class _Slots:
    """At most ``n`` runs at a time; a second stage waits for its first
    stage outside a slot."""

    def __init__(self, n):
        import threading
        self.semaphore = threading.Semaphore(n)

    def run(self, fn, config, first):
        if first is not None:
            first.result()
        with self.semaphore:
            return fn(config)


def _completion_order(futures):
    from concurrent.futures import as_completed
    by_future = {future: config for config, future in futures.items()}
    for future in as_completed(by_future):
        yield by_future[future]


def main(argv=None):
    args = parse_args(argv)
    if args.run_one:
        run_one(*args.run_one, args.load_from, args.cfg_options)
        return
    configs = args.configs or (FULL_CONFIGS if args.full else DEMO_CONFIGS)
    for config in configs:
        if config in STAGE_ONE and STAGE_ONE[config] not in configs:
            raise SystemExit(f'{config} is a second stage of '
                             f'{STAGE_ONE[config]}: list that one too.')
    print(
        f'mmlt demo: {len(configs)} runs on Fashion-MNIST-LT (IF 100), '
        f'{args.jobs} at a time; logs in {args.work_dir}/<config>/',
        flush=True)
    start = time.time()
    demo = Demo(configs, args.work_dir, args.jobs, args.cfg_options)
    demo.main()

    header = ['Method', *(title for title, _ in COLUMNS)]
    rows = []
    for config in configs:
        metrics = load_metrics(find_result(demo.work_dir(config)))
        rows.append([
            osp.splitext(osp.basename(config))[0],
            *(format_value(metrics.get(key)) for _, key in COLUMNS)
        ])
    table = markdown_table(header, rows)
    out = osp.join(args.work_dir, 'results.md')
    with open(out, 'w') as f:
        f.write(table + '\n')
    print(f'\n{table}\n\nDone in {time.time() - start:.0f} s. Table: {out}; '
          f'per-class recall plots: '
          f'{args.work_dir}/<config>/<timestamp>/per_class/test.png')


if __name__ == '__main__':
    main()
