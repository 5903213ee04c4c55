# Copyright (c) mmlt contributors. All rights reserved.
"""The main job: train and evaluate on real Fashion-MNIST-LT (IF 100).

Each method is trained with ``tools/train.py`` and evaluated with
``tools/test.py`` in ``work_dirs/demo/<config name>``; then the long-tail
table of all methods is printed and written to ``work_dirs/demo/results.md``.
A finished method is not trained again: its run is resumed (a no-op) and
re-evaluated.
"""
import argparse
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Methods side by side; later methods are appended here.
DEMO_CONFIGS = [
    'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py',
    # A loss (Balanced Softmax) and decoupling (cRT switched on inside the
    # run) against CE, under the same 6-epoch budget.
    'configs/balanced-softmax/'
    'balanced-softmax_resnet8_1xb128_fashion-mnist-lt-r100.py',
    'configs/decoupling/crt-onerun_resnet8_1xb128_fashion-mnist-lt-r100.py',
    # GML (paper 003) as a second stage on the CE model above, with the
    # ensemble of the old and new classifiers.
    'configs/gml/ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py',
    # Category-wise GHM with adaptive bins and inter-category margins (paper
    # 000, R+A+AU).
    'configs/category-ghm/'
    'category-ghm_resnet8_1xb128_fashion-mnist-lt-r100.py',
    # GLAG (paper 001): the Gradual Balanced Loss, then the Adaptive Feature
    # Generator with adaptive confidence and distillation on its checkpoint.
    'configs/glag/glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py',
    'configs/glag/glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py',
    # Class-balanced weights plus meta-learned per-sample weights on the
    # balanced development split (paper 002).
    'configs/meta-reweight/'
    'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py',
]

# Second stages: config -> the config whose last checkpoint is its
# load_from (that config must come earlier in the list).
STAGE_ONE = {
    'configs/gml/ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py':
    'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py',
    'configs/glag/glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py':
    'configs/glag/glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100.py',
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--configs', nargs='+', default=DEMO_CONFIGS, help='configs to run')
    parser.add_argument(
        '--work-dir', default='work_dirs/demo', help='where runs are kept')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='overrides passed to every train/test run')
    return parser.parse_args()


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def main():
    args = parse_args()
    extra = ['--cfg-options', *args.cfg_options] if args.cfg_options else []
    work_dirs = []
    done = {}
    for config in args.configs:
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(args.work_dir, name)
        resume = ['--resume'] if osp.exists(
            osp.join(ROOT, work_dir, 'last_checkpoint')) else []
        load_from = []
        if config in STAGE_ONE:
            if STAGE_ONE[config] not in done:
                raise SystemExit(f'{config} is a second stage of '
                                 f'{STAGE_ONE[config]}: list that one first.')
            load_from = ([] if extra else ['--cfg-options']) + [
                f'load_from={last_checkpoint(done[STAGE_ONE[config]])}'
            ]
        run([
            sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
            *resume, *extra, *load_from
        ])
        done[config] = osp.join(ROOT, work_dir)
        run([
            sys.executable, 'tools/test.py', config,
            last_checkpoint(osp.join(ROOT, work_dir)), '--work-dir', work_dir,
            *extra
        ])
        work_dirs.append(work_dir)
    table = osp.join(args.work_dir, 'results.md')
    run([
        sys.executable, 'tools/analysis/compare_work_dirs.py', *work_dirs,
        '--out', table
    ])
    print(f'\nTable: {table}; per-class recall plots: '
          f'{args.work_dir}/*/<timestamp>/per_class/test.png')


if __name__ == '__main__':
    main()
