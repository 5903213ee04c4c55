# Copyright (c) mmlt contributors. All rights reserved.
"""Cost benchmark: the long-tail losses against CE, and mmengine's overhead.

1. **Losses.** For every loss of ``LOSSES`` and every ``(batch, classes)``
   size, one step is the forward and backward of the loss on random logits
   (``requires_grad``) with labels drawn from an exponential long-tail
   profile (IF 100), whose counts are also the losses' ``class_counts``.

   - *Time*: after ``--warmup`` steps, ``--repeats`` adjacent pairs of
     samples of CE and the loss (in alternating order), each sample timing
     enough steps to last ``--min-sample-ms``; the ratio is the median of
     the pairs' ratios, so drift of a shared machine cancels, and their
     spread (half the inter-quartile range) shows the noise left. Target:
     1.5× CE (2× for the GHM family).
   - *Peak memory* of one step above what was allocated before it (the
     logits and labels): ``torch.cuda.max_memory_allocated`` on CUDA; on
     CPU, which has no allocator statistics, ``torch.profiler`` with
     ``profile_memory=True`` records every allocation and free of the step,
     and the peak is the maximum of their running sum.
   - *C×C*: a step whose peak reaches ``C·C·4`` bytes (a float32 ``C×C``
     matrix) is flagged. The test says something only where CE's own peak
     (a few ``B×C`` buffers) stays below ``C·C·4``, i.e. ``C`` well above
     the batch; elsewhere it prints ``n/a``. Target: no C×C.

   Every number is printed as a ratio to CE measured in the same process.

2. **Framework overhead.** One training epoch (or ``--iters`` iterations) of
   ``configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py`` through
   mmengine's ``Runner`` against a plain PyTorch loop with the same model
   (``CifarResNet(depth=8, in_channels=1)``, global pooling, a linear
   layer), the same long-tailed training images (the config's
   ``LongTailDataset``), batch size, optimizer (the config's SGD), the
   iteration-wise linear warm-up of the first epoch and input normalisation
   (the config's mean/std). Neither applies augmentation (the Runner's
   pipeline is cut to ``PackInputs``), validates or saves checkpoints;
   both load data in the main process. The Runner keeps its other hooks
   (logging, timers, long-tail hooks). The timed window is the training
   epoch: ``before_train_epoch`` to ``after_train_epoch`` for the Runner,
   the loop for plain PyTorch; building datasets and models is excluded.
   Target: Runner ≤ 1.15× plain.

3. **Meta-learning iteration** (Jamal et al. (2020), ``--parts meta``). One
   training step of ``MetaReweightClassifier`` (the Fashion-MNIST
   meta-reweighting config's ResNet-8, batch 128 of random 1×28×28 images, a
   development batch of 10 images per class) in its meta stage (look-ahead,
   development loss, epsilon gradient, update) against the same model's plain
   step (pre-training stage: forward, backward, SGD), on ``--device``; timed in
   pairs as the losses, with peak memory as in 1. Target: ≤ 3.5× for the config
   (gradient products by central difference); the exact products
   (``directional_derivative='forward_ad'``) are measured in the same run for
   comparison.

4. **Host reads of the losses' checks** (``--parts syncs``). Every
   ``bool()``/``int()``/``.item()`` of device data makes the host wait for
   the GPU. For every loss, one step (as in 1) counts its host reads
   (``aten._local_scalar_dense`` calls, plus the reads of the deferred
   checks in ``mmlt.models.losses.runtime_checks``) and is timed with the
   checks read at every step (``set_check_interval(1)``, what every step
   did before) against the default deferral (one read per
   ``DEFAULT_CHECK_INTERVAL`` checks). On CPU a read costs no wait, so the
   time ratio is ~1 there; the reads per step are what a GPU pays for.

5. **PaCo iteration** (Cui et al., ICCV 2021, ``--parts paco``). One
   training step (``train_step``: data pre-processing, forward, backward,
   SGD) of the Fashion-MNIST-LT PaCo config's model (ResNet-8 query
   encoder, momentum key encoder, projector, queue of 1024 keys; two views
   of a batch of 128 random 1×28×28 images) against the CE config's step
   on one view of the same images, on ``--device``; timed in pairs as the
   losses, with peak memory as in 1. No target: the key encoder's forward
   of the second view (about a third of a step's work) is inherent.

6. **RIDE** (Wang et al., ICLR 2021, ``--parts ride``). The training step
   of the Fashion-MNIST-LT RIDE config (three experts on a shared ResNet-8
   stem and first stage, the distribution-aware diversity loss with DRW
   weights set) and of its router stage (frozen experts) against the CE
   config's step (ResNet-8), batch 128 of random 1×28×28 images on
   ``--device``, timed in pairs as the losses. Then the experts' compute as
   RIDE reports it: multiply-adds per sample (mmengine's ``FlopAnalyzer``,
   fvcore's convention; classifiers and router counted analytically) of the
   single model, of RIDE with all experts and, with ``--ride-checkpoint``
   (a Fashion-MNIST-LT router-stage checkpoint), with the router's average
   use of the experts on the Fashion-MNIST-LT test set; for the CIFAR-100
   ResNet-32 and ImageNet-LT ResNet-50 models with all experts.

Examples::

    python tools/benchmarks/cost_benchmark.py                # default device
    python tools/benchmarks/cost_benchmark.py --device cpu --iters 50
    python tools/benchmarks/cost_benchmark.py --quick        # smoke test

The device defaults to CUDA when available; mmengine's Runner picks its
device itself, so to measure the overhead on CPU on a GPU machine, hide the
GPU (``CUDA_VISIBLE_DEVICES=``).
"""
import argparse
import contextlib
import copy
import functools
import inspect
import itertools
import os.path as osp
import statistics
import tempfile
import time
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, MODELS
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode

import mmlt  # noqa: F401  registers mmlt's modules into mmpretrain
from mmlt.datasets.long_tail_profiles import exp_profile
from mmlt.models.losses import class_balanced_weights, runtime_checks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE_CONFIG = osp.join(ROOT,
                     'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py')

#: name -> loss config. ``class_counts`` / ``num_classes`` are added when the
#: loss takes them; a callable value is called with the class counts.
LOSSES = OrderedDict([
    ('CE', dict(type='CrossEntropyLoss')),
    ('CB-softmax', dict(type='ClassBalancedLoss', loss_type='softmax')),
    ('CB-sigmoid', dict(type='ClassBalancedLoss', loss_type='sigmoid')),
    ('CB-focal', dict(type='ClassBalancedLoss', loss_type='focal')),
    ('SoftmaxFocal', dict(type='SoftmaxFocalLoss')),
    ('GHM-C', dict(type='GHMCLoss')),
    ('EQL', dict(type='EqualizationLoss')),
    ('LDAM', dict(type='LDAMLoss')),
    # With the class-balanced weights of its DRW phase.
    ('ReweightedCE',
     dict(
         type='ReweightedCrossEntropyLoss',
         class_weight=lambda counts: class_balanced_weights(counts).tolist())),
    ('BalancedSoftmax', dict(type='BalancedSoftmaxLoss')),
    ('LogitAdjusted', dict(type='LogitAdjustedLoss')),
    ('LabelAwareSmoothing', dict(type='LabelAwareSmoothingLoss')),
    ('Seesaw', dict(type='SeesawLoss')),
    # The full method: margins + intra weights on adaptive bins (AURA).
    ('CategoryGHM', dict(type='CategoryGHMLoss')),
])
BASELINE = 'CE'
TIME_TARGET = 1.5
#: Losses allowed ``GHM_TIME_TARGET`` (GHM bins every logit's gradient).
GHM_FAMILY = ('GHM-C', 'CategoryGHM')
GHM_TIME_TARGET = 2.0
OVERHEAD_TARGET = 1.15
#: A meta-reweighting iteration against a plain one (Jamal et al. (2020)).
META_TIME_TARGET = 3.5
META_CONFIG = osp.join(
    ROOT, 'configs/meta-reweight/'
    'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py')
#: Relative spread of the pairwise time ratios above which a size is noisy.
NOISY_SPREAD = 0.2
SIZES = ((128, 10), (512, 1000), (512, 8142))
QUICK_SIZES = ((128, 10), )
IMBALANCE_FACTOR = 100
MAX_COUNT = 1000


def parse_size(text: str) -> Tuple[int, int]:
    batch, _, classes = text.lower().partition('x')
    return int(batch), int(classes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time and memory of the long-tail losses relative to '
        'CE, and the Runner overhead over a plain PyTorch loop.')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='device of the loss part (default: cuda when available)')
    parser.add_argument(
        '--parts',
        nargs='+',
        choices=['losses', 'overhead', 'meta', 'syncs', 'paco', 'ride'],
        default=['losses', 'overhead', 'meta', 'syncs', 'paco', 'ride'],
        help='what to measure (default: all)')
    parser.add_argument(
        '--losses',
        nargs='+',
        choices=[name for name in LOSSES if name != BASELINE],
        help='losses to compare with CE (default: all)')
    parser.add_argument(
        '--sizes',
        nargs='+',
        type=parse_size,
        metavar='BATCHxCLASSES',
        help='loss sizes (default: 128x10 512x1000 512x8142)')
    parser.add_argument(
        '--repeats',
        type=int,
        default=25,
        help='timed samples per loss and size (default: 25)')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed steps (default: 5)')
    parser.add_argument(
        '--min-sample-ms',
        type=float,
        default=5.0,
        help='a timing sample repeats the step to last this long, so that '
        'tiny steps are not lost in timer noise (default: 5)')
    parser.add_argument(
        '--data-root',
        default=osp.join(ROOT, 'data', 'fashion_mnist'),
        help='Fashion-MNIST files for the overhead part '
        '(default: data/fashion_mnist)')
    parser.add_argument(
        '--iters',
        type=int,
        help='time this many training iterations instead of one epoch')
    parser.add_argument(
        '--overhead-repeats',
        type=int,
        default=2,
        help='Runner/plain pairs, in alternating order; the median ratio '
        'is reported (default: 2)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of the CE config of the overhead part')
    parser.add_argument(
        '--meta-repeats',
        type=int,
        default=10,
        help='timed samples of the meta part (default: 10)')
    parser.add_argument(
        '--ride-checkpoint',
        help='a Fashion-MNIST-LT RIDE router-stage checkpoint: the RIDE part '
        'then reports the compute at the router\'s average use of the '
        'experts on the test set (in --data-root)')
    parser.add_argument(
        '--quick',
        action='store_true',
        help='smoke test: 128x10 only, 3 repeats, 5 overhead iterations')
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or list(QUICK_SIZES)
        args.repeats, args.warmup = 3, 1
        args.iters = args.iters or 5
        args.overhead_repeats = 1
        args.meta_repeats = 2
    args.sizes = args.sizes or list(SIZES)
    return args


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------
def build_loss(name: str, counts: List[int], device: str) -> nn.Module:
    """Build a loss of ``LOSSES`` for the given class counts."""
    cfg = copy.deepcopy(LOSSES[name])
    cfg = {
        key: value(counts) if callable(value) else value
        for key, value in cfg.items()
    }
    params = inspect.signature(MODELS.get(cfg['type'])).parameters
    if 'class_counts' in params:
        cfg['class_counts'] = counts
    if 'num_classes' in params:
        cfg['num_classes'] = len(counts)
    return MODELS.build(cfg).to(device)


def synchronizer(device: str) -> Callable[[], None]:
    """A function that waits for the device's queued work."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.synchronize
    return lambda: None


def make_step(loss: nn.Module, logits: torch.Tensor,
              labels: torch.Tensor) -> Callable[[], None]:
    """Forward and backward of ``loss`` on the logits."""

    def step():
        logits.grad = None
        loss(logits, labels).backward()

    return step


def time_steps(step: Callable[[], None], number: int,
               sync: Callable[[], None]) -> float:
    """Seconds per step over ``number`` consecutive steps."""
    sync()
    start = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - start) / number


def time_pair(baseline: Callable[[], None],
              other: Callable[[], None],
              sync: Callable[[], None],
              repeats: int,
              warmup: int,
              min_sample_s: float = 0.005) -> Tuple[List[float], List[float]]:
    """Seconds per step of two steps, sampled in adjacent pairs.

    Both are warmed up; each sample runs a step ``number`` times, with
    ``number`` chosen so the baseline's sample lasts ``min_sample_s``; the
    order within a pair alternates.

    Returns:
        tuple[list[float], list[float]]: The baseline's and the other
        step's samples, pair by pair.
    """
    for _ in range(warmup):
        baseline()
        other()
    number = max(1, int(min_sample_s / time_steps(baseline, 1, sync)))
    times: Tuple[List[float], List[float]] = ([], [])
    for r in range(repeats):
        pair = ((0, baseline), (1, other))
        for index, step in (pair if r % 2 == 0 else pair[::-1]):
            times[index].append(time_steps(step, number, sync))
    return times


def ratio_and_spread(baseline: List[float],
                     other: List[float]) -> Tuple[float, float]:
    """Median of the pairwise ratios ``other / baseline`` and their
    relative half inter-quartile range (0 below two pairs).

    A ratio within a pair cancels drift slower than a pair; the spread says
    how much faster noise (a busy machine) remains.
    """
    ratios = [b / a for a, b in zip(baseline, other)]
    median = statistics.median(ratios)
    if len(ratios) < 2:
        return median, 0.0
    q1, _, q3 = statistics.quantiles(ratios, n=4, method='inclusive')
    return median, (q3 - q1) / 2 / median


def peak_step_memory(step: Callable[[], None], logits: torch.Tensor,
                     device: str) -> int:
    """Bytes allocated at the peak of one step, above those before it."""
    logits.grad = None
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    with profile(
            activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    # Every allocation (+bytes) and free (-bytes) of the step, in order.
    events = sorted((event.start_ns(), event.nbytes())
                    for event in prof.profiler.kineto_results.events()
                    if event.name() == '[memory]')
    return max(itertools.accumulate(nbytes for _, nbytes in events), default=0)


def measure_losses(names: List[str], batch: int, num_classes: int,
                   args) -> Tuple[dict, Dict[str, dict]]:
    """CE's absolute numbers and every loss's numbers at one size."""
    device = args.device
    sync = synchronizer(device)
    counts = exp_profile(num_classes, MAX_COUNT, IMBALANCE_FACTOR)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(
        batch, num_classes, generator=generator).to(device).requires_grad_()
    labels = torch.multinomial(
        torch.tensor(counts, dtype=torch.float),
        batch,
        replacement=True,
        generator=generator).to(device)

    ce_step = make_step(build_loss(BASELINE, counts, device), logits, labels)
    ce = dict(memory=peak_step_memory(ce_step, logits, device))
    results, ce_times = {}, []
    for name in names:
        step = make_step(build_loss(name, counts, device), logits, labels)
        try:
            ce_samples, loss_samples = time_pair(ce_step, step, sync,
                                                 args.repeats, args.warmup,
                                                 args.min_sample_ms / 1000)
            memory = peak_step_memory(step, logits, device)
        except RuntimeError as error:  # e.g. out of memory
            results[name] = dict(error=str(error).splitlines()[0])
            continue
        ce_times += ce_samples
        ratio, spread = ratio_and_spread(ce_samples, loss_samples)
        results[name] = dict(
            time=ratio,
            spread=spread,
            memory=memory / max(ce['memory'], 1),
            bytes=memory)
    ce['time'] = statistics.median(ce_times) if ce_times else None
    return ce, results


def cxc_flag(peak: int, ce_peak: int, num_classes: int) -> str:
    """'YES' if a step's peak holds a float32 C×C matrix, 'no' if not,
    'n/a' where CE's own buffers are that large."""
    cxc = num_classes * num_classes * 4
    if ce_peak >= cxc:
        return 'n/a'
    return 'YES' if peak >= cxc else 'no'


def format_bytes(nbytes: float) -> str:
    for unit in ('B', 'KiB', 'MiB'):
        if abs(nbytes) < 1024:
            return f'{nbytes:.0f} {unit}'
        nbytes /= 1024
    return f'{nbytes:.1f} GiB'


def loss_table(ce: dict, results: Dict[str, dict],
               num_classes: int) -> Tuple[List[str], int]:
    """The printed rows of one size and the number of missed targets."""
    lines = [
        f'{"loss":<20} {"time/CE":>8} {"spread":>6} {"target":>7} {"":>4} '
        f'{"peak/CE":>8} {"peak":>10} {"C×C":>4}'
    ]
    missed, noisy = 0, False
    for name, result in results.items():
        if 'error' in result:
            lines.append(f'{name:<20} failed: {result["error"]}')
            missed += 1
            continue
        target = GHM_TIME_TARGET if name in GHM_FAMILY else TIME_TARGET
        flag = cxc_flag(result['bytes'], ce['memory'], num_classes)
        ok = result['time'] <= target and flag != 'YES'
        missed += not ok
        noisy |= result['spread'] > NOISY_SPREAD
        lines.append(f'{name:<20} {result["time"]:>7.2f}× '
                     f'{"±" + format(result["spread"], ".0%"):>6} '
                     f'{"≤" + format(target, "g") + "×":>7} '
                     f'{"ok" if ok else "MISS":>4} {result["memory"]:>7.2f}× '
                     f'{format_bytes(result["bytes"]):>10} {flag:>4}')
    if noisy:
        lines.append(f'(a spread above {NOISY_SPREAD:.0%}: the machine was '
                     f'busy; re-run, or raise --repeats)')
    return lines, missed


# --------------------------------------------------------------------------
# Host reads of the checks
# --------------------------------------------------------------------------
class _CountReads(TorchDispatchMode):
    """Counts the device-to-host reads of tensor values."""

    def __init__(self):
        super().__init__()
        self.reads = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._local_scalar_dense.default:
            self.reads += 1
        return func(*args, **(kwargs or {}))


def count_host_reads(step: Callable[[], None], steps: int) -> float:
    """Host reads per step over ``steps`` steps (tensor reads and the
    deferred checks' reads)."""
    flushes = [0]
    read = runtime_checks._raise_agreed

    def counted(flags):
        flushes[0] += 1
        return read(flags)

    runtime_checks._raise_agreed = counted
    try:
        with _CountReads() as counter:
            for _ in range(steps):
                step()
    finally:
        runtime_checks._raise_agreed = read
    return (counter.reads + flushes[0]) / steps


@contextlib.contextmanager
def check_interval(device: str, interval: int):
    """Read the losses' checks every ``interval`` checks on ``device``."""
    device_type = torch.device(device).type
    old = runtime_checks.check_interval(torch.device(device))
    runtime_checks.reset_pending_checks()
    runtime_checks.set_check_interval(interval, device_type)
    try:
        yield
    finally:
        runtime_checks.reset_pending_checks()
        runtime_checks.set_check_interval(old, device_type)


def measure_syncs(names: List[str], batch: int, num_classes: int,
                  args) -> Dict[str, dict]:
    """Host reads per step and time with per-step against deferred checks,
    for every loss at one size."""
    device = args.device
    sync = synchronizer(device)
    deferred = runtime_checks.DEFAULT_CHECK_INTERVAL
    counts = exp_profile(num_classes, MAX_COUNT, IMBALANCE_FACTOR)
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(
        batch, num_classes, generator=generator).to(device).requires_grad_()
    labels = torch.multinomial(
        torch.tensor(counts, dtype=torch.float),
        batch,
        replacement=True,
        generator=generator).to(device)
    results = {}
    for name in [BASELINE] + names:
        step = make_step(build_loss(name, counts, device), logits, labels)
        result = {}
        for key, interval in (('every', 1), ('deferred', deferred)):
            with check_interval(device, interval):
                result[f'reads_{key}'] = count_host_reads(step, 2 * deferred)
        device_type = torch.device(device).type

        def every(step=step):
            runtime_checks.set_check_interval(1, device_type)
            step()

        def later(step=step):
            runtime_checks.set_check_interval(deferred, device_type)
            step()

        # Both set the interval they are timed with at every step.
        with check_interval(device, 1):
            every_s, later_s = time_pair(every, later, sync, args.repeats,
                                         args.warmup,
                                         args.min_sample_ms / 1000)
        result['time'], result['spread'] = ratio_and_spread(every_s, later_s)
        result['every_ms'] = statistics.median(every_s) * 1e3
        results[name] = result
    return results


def syncs_table(results: Dict[str, dict], interval: int) -> List[str]:
    lines = [
        f'{"loss":<20} {"reads/step":>10} {"reads/step":>10} '
        f'{"ms/step":>8} {"deferred/every":>15}',
        f'{"":<20} {"every":>10} {"deferred":>10} {"every":>8} '
        f'{"(time)":>15}'
    ]
    for name, r in results.items():
        lines.append(f'{name:<20} {r["reads_every"]:>10.2f} '
                     f'{r["reads_deferred"]:>10.2f} {r["every_ms"]:>8.3f} '
                     f'{r["time"]:>8.2f}× ±{r["spread"]:.0%}')
    lines.append(f'(deferred: the checks are read once every {interval} '
                 f'checks; CE is torch\'s, without mmlt checks)')
    return lines


# --------------------------------------------------------------------------
# Framework overhead
# --------------------------------------------------------------------------
class _EpochStart(Hook):
    """Notes the time before any other hook's ``before_train_epoch``."""
    priority = 'HIGHEST'

    def __init__(self, marks: dict, sync: Callable[[], None]):
        self.marks, self.sync = marks, sync

    def before_train_epoch(self, runner) -> None:
        self.sync()
        self.marks['start'] = time.perf_counter()


class _EpochEnd(_EpochStart):
    """Notes the time after every other hook's ``after_train_epoch``."""
    priority = 'LOWEST'

    def before_train_epoch(self, runner) -> None:
        pass

    def after_train_epoch(self, runner) -> None:
        self.sync()
        self.marks['end'] = time.perf_counter()


def overhead_config(args) -> Config:
    """The CE config as both loops train it."""
    cfg = Config.fromfile(CE_CONFIG)
    root = osp.abspath(args.data_root)
    cfg.train_dataloader.dataset.dataset.data_root = root
    # No augmentation: the plain loop has none.
    cfg.train_dataloader.dataset.dataset.pipeline = [dict(type='PackInputs')]
    # Neither loop validates nor saves.
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.log_level = 'WARNING'
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def run_runner(cfg: Config, num_iters: Optional[int], name: str) -> float:
    """Seconds of one training epoch (or ``num_iters``) through Runner."""
    cfg = copy.deepcopy(cfg)
    if num_iters is None:
        cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    else:
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=num_iters)
        # mmengine's iteration loop sleeps 2 s whenever a finite sampler
        # runs out; the infinite one is its recommended sampler.
        cfg.train_dataloader.sampler = dict(
            type='InfiniteSampler', shuffle=True)
        cfg.param_scheduler = [
            dict(
                type='LinearLR',
                start_factor=0.1,
                by_epoch=False,
                begin=0,
                end=num_iters)
        ]
    marks = {}
    sync = synchronizer(get_device())
    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        cfg.experiment_name = name  # unique: mmengine keys instances by it
        runner = Runner.from_cfg(cfg)
        runner.register_hook(_EpochStart(marks, sync))
        runner.register_hook(_EpochEnd(marks, sync))
        runner.train()
    return marks['end'] - marks['start']


class PlainNet(nn.Module):
    """The config's backbone, global average pooling and a linear layer."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.backbone = MODELS.build(cfg.model.backbone)
        self.fc = nn.Linear(cfg.model.head.in_channels,
                            cfg.model.head.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.backbone(x)[-1].mean((2, 3)))


def plain_data(cfg: Config) -> torch.utils.data.TensorDataset:
    """The long-tailed training images (uint8) and labels of the config."""
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = torch.stack([torch.from_numpy(info['img']) for info in infos])
    labels = torch.tensor([int(info['gt_label']) for info in infos])
    return torch.utils.data.TensorDataset(images[:, None], labels)


def run_plain(cfg: Config, data, num_iters: Optional[int],
              device: str) -> float:
    """Seconds of the same training in a plain PyTorch loop."""
    loader_cfg = cfg.train_dataloader
    batch_size = loader_cfg.batch_size
    if num_iters is None:  # one epoch, reshuffled, last batch partial
        sampler = torch.utils.data.RandomSampler(data)
        num_iters = -(-len(data) // batch_size)
    else:  # full batches from successive permutations, as InfiniteSampler
        sampler = torch.utils.data.RandomSampler(
            data, num_samples=num_iters * batch_size)
    loader = torch.utils.data.DataLoader(
        data,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=loader_cfg.num_workers)
    model = PlainNet(cfg)
    model.backbone.init_weights()  # the config's init, as the Runner does
    model.to(device).train()
    optim_cfg = dict(cfg.optim_wrapper.optimizer)
    optimizer = getattr(torch.optim, optim_cfg.pop('type'))(model.parameters(),
                                                            **optim_cfg)
    # The config's first epoch: linear warm-up from 0.1x, per iteration.
    scheduler = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=0.1, total_iters=num_iters)
    preprocessor = cfg.model.get('data_preprocessor') or cfg.data_preprocessor
    mean = torch.tensor(preprocessor['mean'], device=device).view(1, -1, 1, 1)
    std = torch.tensor(preprocessor['std'], device=device).view(1, -1, 1, 1)

    sync = synchronizer(device)
    sync()
    start = time.perf_counter()
    for images, labels in loader:
        images = (images.to(device).float() - mean) / std
        loss = F.cross_entropy(model(images), labels.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    sync()
    return time.perf_counter() - start


def measure_overhead(args) -> Tuple[List[float], List[float]]:
    """Runner and plain seconds of each repeat."""
    device = get_device()
    if torch.device(args.device).type != torch.device(device).type:
        raise SystemExit(
            f'mmengine\'s Runner trains on {device!r}, not --device '
            f'{args.device!r}; hide the GPU with CUDA_VISIBLE_DEVICES= to '
            f'measure on CPU, or pass --parts losses.')
    cfg = overhead_config(args)
    data = plain_data(cfg)
    # Untimed: starts thread pools and the allocator for both loops.
    run_plain(cfg, data, 2, device)
    runner_s, plain_s = [], []
    for r in range(args.overhead_repeats):
        order = ('plain', 'runner') if r % 2 == 0 else ('runner', 'plain')
        for which in order:
            if which == 'plain':
                plain_s.append(run_plain(cfg, data, args.iters, device))
            else:
                runner_s.append(run_runner(cfg, args.iters, f'overhead_{r}'))
    return runner_s, plain_s


# --------------------------------------------------------------------------
# Meta-learning iteration
# --------------------------------------------------------------------------
def _images(num: int, generator: torch.Generator) -> dict:
    from mmpretrain.structures import DataSample
    labels = torch.arange(num) % 10
    return dict(
        inputs=torch.randint(
            0, 256, (num, 1, 28, 28), generator=generator, dtype=torch.uint8),
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


def measure_meta(args, directional_derivative: str) -> dict:
    """Time and peak memory of a meta step against a plain step, with the
    epsilon gradient's products computed by ``directional_derivative``."""
    from mmengine.optim import OptimWrapper
    cfg = Config.fromfile(META_CONFIG)
    cfg.model.directional_derivative = directional_derivative
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.set_class_counts(exp_profile(10, MAX_COUNT, IMBALANCE_FACTOR))
    model.to(args.device).train()
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    generator = torch.Generator().manual_seed(0)
    data = _images(cfg.train_dataloader.batch_size, generator)
    dev = _images(10 * cfg.dev_per_class, generator)
    start = model.meta_start_epoch

    def plain():
        model.set_meta_inputs(start - 1)
        model.train_step(data, optim)

    def meta():
        model.set_meta_inputs(start, 0.01, dev)
        model.train_step(data, optim)

    sync = synchronizer(args.device)
    plain_s, meta_s = time_pair(plain, meta, sync, args.meta_repeats,
                                args.warmup, args.min_sample_ms / 1000)
    ratio, spread = ratio_and_spread(plain_s, meta_s)
    dummy = torch.zeros(1, requires_grad=True)
    plain_peak = peak_step_memory(plain, dummy, args.device)
    meta_peak = peak_step_memory(meta, dummy, args.device)
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    return dict(
        time=ratio,
        spread=spread,
        plain_s=statistics.median(plain_s),
        plain_peak=plain_peak,
        meta_peak=meta_peak,
        params=params)


# --------------------------------------------------------------------------
# PaCo iteration
# --------------------------------------------------------------------------
PACO_CONFIG = osp.join(
    ROOT, 'configs/paco/paco_resnet8_1xb128_fashion-mnist-lt-r100.py')
CE_CONFIG = osp.join(ROOT,
                     'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py')


def measure_paco(args) -> dict:
    """Time and peak memory of a PaCo training step against CE's on the
    same images (CE: the query view only)."""
    from mmengine.optim import OptimWrapper

    def build(path):
        cfg = Config.fromfile(path)
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        model = MODELS.build(model_cfg)
        model.init_weights()
        counts = exp_profile(10, MAX_COUNT, IMBALANCE_FACTOR)
        for module in model.modules():
            if hasattr(module, 'set_class_counts'):
                module.set_class_counts(counts)
        model.to(args.device).train()
        optim = OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
        return cfg, model, optim

    cfg, paco, paco_optim = build(PACO_CONFIG)
    _, ce, ce_optim = build(CE_CONFIG)
    generator = torch.Generator().manual_seed(0)
    one = _images(cfg.train_dataloader.batch_size, generator)
    two = dict(one, inputs=[one['inputs'], one['inputs'].flip(-1)])

    def ce_step():
        ce.train_step(one, ce_optim)

    def paco_step():
        paco.train_step(two, paco_optim)

    sync = synchronizer(args.device)
    ce_s, paco_s = time_pair(ce_step, paco_step, sync, args.meta_repeats,
                             args.warmup, args.min_sample_ms / 1000)
    ratio, spread = ratio_and_spread(ce_s, paco_s)
    dummy = torch.zeros(1, requires_grad=True)
    return dict(
        time=ratio,
        spread=spread,
        ce_s=statistics.median(ce_s),
        ce_peak=peak_step_memory(ce_step, dummy, args.device),
        paco_peak=peak_step_memory(paco_step, dummy, args.device))


# --------------------------------------------------------------------------
# RIDE iteration and the experts' compute
# --------------------------------------------------------------------------
RIDE_CONFIG = osp.join(
    ROOT, 'configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py')
RIDE_ROUTER_CONFIG = osp.join(
    ROOT,
    'configs/ride/ride-router_resnet8-3exp_1xb512_fashion-mnist-lt-r100.py')
#: (name, RIDE config, the single model's CE config, input shape).
RIDE_MODELS = (
    ('Fashion-MNIST-LT ResNet-8', RIDE_CONFIG,
     osp.join(ROOT, 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'),
     (1, 28, 28)),
    ('CIFAR-100-LT ResNet-32',
     osp.join(ROOT,
              'configs/ride/ride_resnet32-3exp_1xb128_cifar100-lt-r100.py'),
     osp.join(ROOT, 'configs/ce/ce_resnet32_1xb128_cifar100-lt-r100.py'),
     (3, 32, 32)),
    ('ImageNet-LT ResNet-50',
     osp.join(ROOT, 'configs/ride/ride_resnet50-3exp_8xb32_imagenet-lt.py'),
     osp.join(ROOT,
              'configs/ce/ce_resnet50_8xb64_imagenet-lt.py'), (3, 224, 224)),
)


def ride_expected_flops(shared: float, experts: List[float],
                        routers: List[float], fractions: List[float]) -> float:
    """Expected multiply-adds per sample of a routed RIDE model.

    Args:
        shared (float): The shared stem and stages.
        experts (list[float]): Each expert's stages and classifier.
        routers (list[float]): Each routing decision (after experts
            ``0 .. E-2``).
        fractions (list[float]): ``fractions[k - 1]``: the share of samples
            that use exactly ``k`` experts (a prefix of them).

    Returns:
        float: ``shared + sum_i P(expert i runs) (expert_i + router_i)``:
        expert ``i`` runs for the samples that use more than ``i`` experts,
        and its routing decision (all but the last expert's) after it.
    """
    reach = [sum(fractions[i:]) for i in range(len(experts))]
    return (shared + sum(r * e for r, e in zip(reach, experts)) +
            sum(r * c for r, c in zip(reach, routers)))


def _backbone_flops(backbone: nn.Module, shape: Tuple[int, ...]) -> dict:
    from mmengine.analysis import FlopAnalyzer
    backbone.eval()
    analyzer = FlopAnalyzer(backbone, torch.zeros(1, *shape))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.by_module()


def ride_flops(ride_cfg: str, single_cfg: str, shape: Tuple[int, ...]) -> dict:
    """Multiply-adds per sample of the single model and of RIDE's parts."""
    single = MODELS.build(Config.fromfile(single_cfg).model)
    head = single.head
    single_flops = (
        _backbone_flops(single.backbone, shape)[''] +
        head.in_channels * head.num_classes)
    cfg = Config.fromfile(ride_cfg)
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    head = model.head
    flops = _backbone_flops(model.backbone, shape)
    classifier = head.in_channels * head.num_classes
    expert_flops = [flops[f'experts.{i}'] for i in range(head.num_experts)]
    # ExpertRouter: D -> hidden on the feature, then hidden + top_k -> 1.
    router = Config.fromfile(RIDE_ROUTER_CONFIG).model.head.router
    routers = [
        head.in_channels * router.hidden_channels + router.hidden_channels +
        router.top_k
    ] * (
        head.num_experts - 1)
    return dict(
        single=single_flops,
        shared=flops[''] - sum(expert_flops),
        experts=[f + classifier for f in expert_flops],
        routers=routers)


def measure_ride_usage(args) -> List[float]:
    """The router's use of the experts on the Fashion-MNIST-LT test set:
    the share of samples using exactly 1, 2, ... experts."""
    cfg = Config.fromfile(RIDE_ROUTER_CONFIG)
    cfg.test_dataloader.dataset.data_root = args.data_root
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    state = torch.load(args.ride_checkpoint, map_location='cpu')
    model.load_state_dict(state['state_dict'])
    model.to(args.device).eval()
    from mmengine.dataset import pseudo_collate
    loader = torch.utils.data.DataLoader(
        DATASETS.build(cfg.test_dataloader.dataset),
        batch_size=cfg.test_dataloader.batch_size,
        collate_fn=pseudo_collate)
    counts = torch.zeros(model.head.num_experts, dtype=torch.long)
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                counts[int(sample.num_experts) - 1] += 1
    return (counts.double() / counts.sum()).tolist()


def measure_ride_step(args) -> dict:
    """Time of a RIDE and a RIDE router-stage step against a CE step."""
    from mmengine.optim import OptimWrapper

    from mmlt.models.losses import deferred_reweighting_weights
    from mmlt.models.utils import freeze_module
    counts = exp_profile(10, MAX_COUNT, IMBALANCE_FACTOR)
    data = _images(128, torch.Generator().manual_seed(0))
    steps = {}
    for name, path in (('CE', RIDE_MODELS[0][2]), ('RIDE', RIDE_CONFIG),
                       ('RIDE-router', RIDE_ROUTER_CONFIG)):
        cfg = Config.fromfile(path)
        cfg.model.data_preprocessor = cfg.data_preprocessor
        model = MODELS.build(cfg.model)
        model.init_weights()
        for module in model.modules():
            if hasattr(module, 'set_class_counts'):
                module.set_class_counts(counts)
        if name == 'RIDE':
            # The re-weighted phase: class weights, per-class temperature.
            model.head.loss_module.set_class_weight(
                deferred_reweighting_weights(counts, 1, 0))
        if name == 'RIDE-router':
            for part in ('backbone', 'neck', 'head.classifiers'):
                freeze_module(model.get_submodule(part))
        model.to(args.device).train()
        optim = OptimWrapper(
            torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=0.01,
                            momentum=0.9))
        steps[name] = functools.partial(model.train_step, data, optim)
    sync = synchronizer(args.device)
    result = {}
    for name in ('RIDE', 'RIDE-router'):
        ce_s, other_s = time_pair(steps['CE'], steps[name], sync,
                                  args.meta_repeats, args.warmup,
                                  args.min_sample_ms / 1000)
        ratio, spread = ratio_and_spread(ce_s, other_s)
        result[name] = dict(
            time=ratio, spread=spread, ce_s=statistics.median(ce_s))
    return result


def main(argv=None):
    args = parse_args(argv)
    # The current mmengine logger: keeps init_weights' per-parameter report
    # of the plain model off the screen (the Runner sets its own).
    MMLogger.get_instance('cost_benchmark', log_level='WARNING')
    device = torch.device(args.device)
    name = (
        torch.cuda.get_device_name(device) if device.type == 'cuda' else 'CPU')
    print(f'Device: {args.device} ({name}); torch {torch.__version__}, '
          f'{torch.get_num_threads()} threads')
    missed = 0
    if 'losses' in args.parts:
        names = args.losses or [n for n in LOSSES if n != BASELINE]
        for batch, num_classes in args.sizes:
            ce, results = measure_losses(names, batch, num_classes, args)
            ce_time = (f'{ce["time"] * 1e3:.3f} ms'
                       if ce['time'] is not None else '–')
            print(f'\n== batch {batch}, {num_classes} classes: CE '
                  f'{ce_time}/step, peak {format_bytes(ce["memory"])}; '
                  f'C×C float32 = {format_bytes(num_classes**2 * 4)}')
            lines, size_missed = loss_table(ce, results, num_classes)
            missed += size_missed
            print('\n'.join(lines), flush=True)
    if 'syncs' in args.parts:
        names = args.losses or [n for n in LOSSES if n != BASELINE]
        for batch, num_classes in args.sizes:
            results = measure_syncs(names, batch, num_classes, args)
            print(f'\n== host reads of the checks, batch {batch}, '
                  f'{num_classes} classes, on {args.device}:')
            print(
                '\n'.join(
                    syncs_table(results,
                                runtime_checks.DEFAULT_CHECK_INTERVAL)),
                flush=True)
    if 'overhead' in args.parts:
        runner_s, plain_s = measure_overhead(args)
        ratios = [r / p for r, p in zip(runner_s, plain_s)]
        ratio = statistics.median(ratios)
        span = f'{args.iters} iterations' if args.iters else 'one epoch'
        ok = ratio <= OVERHEAD_TARGET
        missed += not ok
        print(f'\n== framework overhead, {span} on {get_device()}: Runner '
              f'{statistics.median(runner_s):.2f} s, plain PyTorch '
              f'{statistics.median(plain_s):.2f} s -> {ratio:.2f}× '
              f'(target ≤{OVERHEAD_TARGET}×: {"ok" if ok else "MISS"}; '
              f'pairs: {", ".join(f"{x:.2f}×" for x in ratios)})')
    if 'meta' in args.parts:
        default = Config.fromfile(META_CONFIG).model.get(
            'directional_derivative', 'central_difference')
        print(f'\n== meta-reweighting iteration (ResNet-8, batch 128) on '
              f'{args.device}, by how the gradient products are computed:')
        for method in dict.fromkeys((default, 'forward_ad')):
            meta = measure_meta(args, method)
            if method == default:
                ok = meta['time'] <= META_TIME_TARGET
                missed += not ok
                verdict = (f'target ≤{META_TIME_TARGET}×: '
                           f'{"ok" if ok else "MISS"}')
            else:
                verdict = 'exact, for comparison'
            print(
                f'{method}: plain {meta["plain_s"] * 1e3:.1f} ms -> meta '
                f'{meta["time"]:.2f}× ±{meta["spread"]:.0%} ({verdict}); '
                f'peak memory {format_bytes(meta["meta_peak"])} vs '
                f'{format_bytes(meta["plain_peak"])} plain (parameters '
                f'{format_bytes(meta["params"])})',
                flush=True)
    if 'paco' in args.parts:
        result = measure_paco(args)
        print(
            f'\n== PaCo iteration (ResNet-8, batch 128, two views) on '
            f'{args.device}: CE {result["ce_s"] * 1e3:.1f} ms -> PaCo '
            f'{result["time"]:.2f}× ±{result["spread"]:.0%}; peak memory '
            f'{format_bytes(result["paco_peak"])} vs '
            f'{format_bytes(result["ce_peak"])} CE',
            flush=True)
    if 'ride' in args.parts:
        step = measure_ride_step(args)
        print(f'\n== RIDE iteration (batch 128, Fashion-MNIST-LT configs) on '
              f'{args.device}, against CE (ResNet-8, '
              f'{step["RIDE"]["ce_s"] * 1e3:.1f} ms):')
        for name, text in (('RIDE', '3 experts, diversity loss'),
                           ('RIDE-router', 'router stage, frozen experts')):
            print(f'{name} ({text}): {step[name]["time"]:.2f}× '
                  f'±{step[name]["spread"]:.0%}')
        print('\n== RIDE compute, multiply-adds per sample (GFLOPs as RIDE '
              'reports them):')
        usage = measure_ride_usage(args) if args.ride_checkpoint else None
        for name, ride_cfg, single_cfg, shape in RIDE_MODELS:
            if args.quick and shape[-1] > 32:
                continue
            flops = ride_flops(ride_cfg, single_cfg, shape)
            experts = len(flops['experts'])
            # Stage one: every expert, no router.
            full = ride_expected_flops(flops['shared'], flops['experts'],
                                       [0.0] * (experts - 1),
                                       [0.0] * (experts - 1) + [1.0])
            line = (f'{name}: single model {flops["single"] / 1e9:.4f} G; '
                    f'RIDE, {experts} experts: all {full / 1e9:.4f} G '
                    f'({full / flops["single"]:.2f}×)')
            if usage is not None and shape == (1, 28, 28):
                routed = ride_expected_flops(flops['shared'], flops['experts'],
                                             flops['routers'], usage)
                average = sum((k + 1) * f for k, f in enumerate(usage))
                line += (f'; routed ({average:.2f} experts on average; '
                         f'{", ".join(f"{f:.1%}" for f in usage)} of the '
                         f'samples use 1..{experts}) {routed / 1e9:.4f} G '
                         f'({routed / flops["single"]:.2f}×)')
            print(line, flush=True)
    print(f'\n{missed} target(s) missed.' if missed else '\nAll targets met.')


if __name__ == '__main__':
    main()
