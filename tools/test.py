# Copyright (c) mmlt contributors. All rights reserved.
"""Evaluate a checkpoint with an mmlt (or plain mmpretrain) config.

The flags are mmpretrain's ``tools/test.py`` flags; ``--cfg-options`` is
applied last, so it overrides what the other flags set.
"""
import argparse
import os
import os.path as osp
from copy import deepcopy

import mmengine
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmlt  # noqa: F401  registers mmlt's modules into mmpretrain
from mmlt.utils import setup_cpu_distributed, shutdown_distributed


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a classifier')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation results and logs')
    parser.add_argument(
        '--out',
        help='dump the predictions (a .pkl file) or, with --out-item '
        'metrics, the metrics (.json, .yaml or .pkl) to this file')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='what --out holds: the predictions (default) or the metrics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. key1=v1 key2.sub=v2; applied '
        'after every other flag')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='test with automatic mixed precision (test_cfg.fp16=True)')
    parser.add_argument(
        '--show-dir',
        help='save the images with their predictions to this dir')
    parser.add_argument(
        '--show',
        action='store_true',
        help='show the images with their predictions in a window')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize every this many samples')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each image is shown with --show')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloader')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s `tta_model` and '
        '`tta_pipeline` if it has them, else the mean score of the image and '
        'its horizontal flip')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out_item is not None and args.out is None:
        parser.error('--out-item needs --out (the file to write).')
    return args


def check_out(args) -> None:
    """Fail before testing when ``--out`` cannot be written as asked."""
    if args.out is None:
        return
    if osp.exists(args.out):
        raise FileExistsError(f'{args.out} exists; choose another --out.')
    pred_exts = ('.pkl', '.pickle')
    metric_exts = ('.json', '.yaml', '.yml', '.pkl', '.pickle')
    if args.out_item in (None, 'pred') and not args.out.endswith(pred_exts):
        raise ValueError(f'--out must be a .pkl file for predictions, got '
                         f'{args.out!r} (or pass --out-item metrics).')
    if args.out_item == 'metrics' and not args.out.endswith(metric_exts):
        raise ValueError(f'--out must be a .json, .yaml or .pkl file for '
                         f'metrics, got {args.out!r}.')


def flip_tta(cfg) -> None:
    """Mean score of each image and its horizontal flip (mmpretrain's
    default test-time augmentation)."""
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
    if 'tta_pipeline' not in cfg:
        test_pipeline = cfg.test_dataloader.dataset.pipeline
        cfg.tta_pipeline = deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[
                dict(type='RandomFlip', prob=1.),
                dict(type='RandomFlip', prob=0.)
            ], [test_pipeline[-1]]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def merge_args(cfg, args):
    """Apply the command-line flags to the config, ``--cfg-options`` last."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint

    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.show or args.show_dir is not None:
        hooks = cfg.get('default_hooks') or {}
        if 'visualization' not in hooks:
            raise KeyError(
                f'{args.config}: --show/--show-dir need a VisualizationHook; '
                f'add default_hooks = dict(visualization=dict('
                f'type="VisualizationHook")) to the config.')
        vis = hooks['visualization']
        vis.update(
            enable=True,
            show=args.show,
            wait_time=args.wait_time,
            out_dir=args.show_dir,
            interval=args.interval)

    if args.tta:
        flip_tta(cfg)

    loader = dict(pin_memory=True, collate_fn=dict(type='default_collate'))
    loader.update(cfg.test_dataloader)
    if args.no_pin_memory:
        loader['pin_memory'] = False
    cfg.test_dataloader = ConfigDict(loader)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint {args.checkpoint!r} does not exist; pass the path of '
            f'a .pth file written by tools/train.py.')
    check_out(args)
    cfg = merge_args(Config.fromfile(args.config), args)

    setup_cpu_distributed(cfg, args.launcher)
    runner = (
        Runner.from_cfg(cfg)
        if 'runner_type' not in cfg else RUNNERS.build(cfg))
    if args.out is not None and args.out_item in (None, 'pred'):
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    shutdown_distributed()
    if args.out is not None and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
