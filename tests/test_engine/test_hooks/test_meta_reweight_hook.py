# Copyright (c) mmlt contributors. All rights reserved.
"""MetaReweightHook: development batches from the iteration alone, the
checks before training, and an exact resume inside the meta stage."""
import os.path as osp
import uuid
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, MMLogger
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.engine.hooks import MetaReweightHook
from mmlt.engine.hooks.meta_reweight_hook import (accumulate_epsilon,
                                                  summarize_epsilon)

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
META_CE = osp.join(
    ROOT, 'configs/meta-reweight/'
    'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py')


class TinyDataset:
    """Images whose pixels are their index, with the given labels."""

    def __init__(self, labels):
        self.labels = list(labels)
        self.metainfo = dict(classes=[str(c) for c in range(3)])

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels

    def __getitem__(self, i):
        return dict(
            inputs=torch.full((1, 4, 4), float(i)),
            data_samples=DataSample().set_gt_label(self.labels[i]))


def fake_runner(labels=(0, 1, 2) * 4, with_dev=True, model_type=None):
    model = MODELS.build(
        dict(
            type=model_type or 'MetaReweightClassifier',
            **(dict(meta_lr=1.0) if model_type is None else {}),
            backbone=dict(type='CifarResNet', depth=8, in_channels=1),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=3,
                in_channels=64,
                loss=dict(type='CrossEntropyLoss'))))
    dev = dict(
        batch_size=5,
        num_workers=0,
        dataset=TinyDataset(labels),
        sampler=dict(type='DefaultSampler', shuffle=True))
    return SimpleNamespace(
        model=model,
        cfg=Config(dict(dev_dataloader=dev) if with_dev else {}),
        seed=0,
        build_dataloader=Runner.build_dataloader,
        logger=MMLogger.get_instance(uuid.uuid4().hex))


def batch_ids(batch):
    return [int(x[0, 0, 0]) for x in batch['inputs']]


def test_dev_batches_follow_the_iteration():
    runner = fake_runner()
    hook = MetaReweightHook()
    hook.before_train(runner)
    # 12 images, batches of 5: 3 batches a pass.
    seq = [batch_ids(hook.dev_batch(i)) for i in range(9)]
    for p in range(3):
        ids = sum(seq[3 * p:3 * p + 3], [])
        assert sorted(ids) == list(range(12)), ids
    # Passes are shuffled differently (the sampler's epoch is the pass).
    assert seq[0:3] != seq[3:6]
    # A fresh hook (a resumed run) at any iteration draws the same batch.
    for i in (7, 4, 0, 5):
        other = MetaReweightHook()
        other.before_train(runner)
        assert batch_ids(other.dev_batch(i)) == seq[i]


def test_feeds_the_model_by_stage():
    runner = fake_runner()
    model = runner.model
    model.meta_start_epoch = 1
    runner.epoch, runner.iter = 0, 0
    runner.optim_wrapper = SimpleNamespace(get_lr=lambda: dict(lr=[0.05]))
    hook = MetaReweightHook()
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert model._epoch == 0 and model._dev_batch is None
    runner.epoch, runner.iter = 1, 4
    hook.before_train_iter(runner, 0)
    assert model._lr == 0.05
    assert batch_ids(model._dev_batch) == batch_ids(hook.dev_batch(4))
    hook.after_train_iter(runner, 0)
    assert model._dev_batch is None
    runner.optim_wrapper = SimpleNamespace(get_lr=lambda: dict(lr=[0.05, 0.5]))
    with pytest.raises(ValueError, match='one learning rate'):
        hook.before_train_iter(runner, 0)


@pytest.mark.parametrize('options, error, match', [
    (dict(with_dev=False), ValueError, 'no `dev_dataloader`'),
    (dict(labels=()), ValueError, 'empty'),
    (dict(labels=(0, 1, 0, 1)), ValueError, r'classes \[2\] have no image'),
    (dict(model_type='ImageClassifier'), TypeError, 'MetaReweightClassifier'),
])
def test_errors_before_training(options, error, match):
    with pytest.raises(error, match=match):
        MetaReweightHook().before_train(fake_runner(**options))


# ------------------------------------------------------------- real runs --

TINY = """
_base_ = {base!r}
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    dataset=dict(imbalance_factor=10, dev_per_class=2, dataset=dict(
        data_root={root!r}, pipeline=[dict(type='PackInputs')])))
dev_dataloader = dict(
    batch_size=8, dataset=dict(dev_per_class=2, dataset=dict(
        data_root={root!r}, pipeline=[dict(type='PackInputs')])))
val_dataloader = None
val_evaluator = None
val_cfg = None
# lr 0.1 in epoch 1 here: a small tau keeps the weights near w_y.
model = dict(meta_start_epoch=1, meta_lr=2.0)
default_hooks = dict(logger=dict(interval=1))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0, deterministic=True)
"""


class WeightRecorder(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.weight_means = {}
        self.eps_stats = {}

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if 'meta_weight_mean' in outputs:
            self.weight_means[runner.iter] = outputs['meta_weight_mean']

    def after_train_epoch(self, runner):
        # After MetaReweightHook's (NORMAL) report of the epoch.
        self.eps_stats[runner.epoch] = runner.message_hub.get_info(
            'meta_reweight/eps')


def train(tmp_path, data_root, work, epochs, **options):
    path = osp.join(str(tmp_path), 'meta.py')
    with open(path, 'w') as f:
        f.write(TINY.format(base=META_CE, root=data_root))
    cfg = Config.fromfile(path)
    cfg.train_cfg.max_epochs = epochs
    cfg.merge_from_dict(options)
    cfg.work_dir = str(tmp_path / work)
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    recorder = WeightRecorder()
    runner.register_hook(recorder)
    runner.train()
    params = {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
    }
    return params, recorder


def test_resume_in_meta_stage_continues_exactly(tmp_path, fmnist_root):
    full, rec = train(tmp_path, fmnist_root, 'full', epochs=2)
    # Epoch 0 is plain training, epoch 1 meta-reweighted.
    assert rec.weight_means and min(rec.weight_means) >= 3
    train(tmp_path, fmnist_root, 'half', epochs=1)
    resumed, rec2 = train(
        tmp_path,
        fmnist_root,
        'resumed',
        epochs=2,
        resume=True,
        load_from=str(tmp_path / 'half' / 'epoch_1.pth'))
    assert rec2.weight_means.keys() == rec.weight_means.keys()
    assert full.keys() == resumed.keys()
    for k in full:
        torch.testing.assert_close(resumed[k], full[k], rtol=0, atol=0)
    # The meta step did something: weights are not the class weights'
    # plain batch means every time.
    assert len({round(float(v), 6) for v in rec.weight_means.values()}) > 1
    # eps statistics for the meta epoch only, over all its samples.
    assert rec.eps_stats[0] is None
    stats = rec.eps_stats[1]
    assert stats['eps_min'] < 0 < stats['eps_max']
    # Every training image of the epoch once (the last batch is partial).
    assert 32 * (len(rec.weight_means) - 1) < stats['samples'] <= \
        32 * len(rec.weight_means)
    assert 'eps_mean_few' in stats  # the generated data: <= 20 a class
    assert rec2.eps_stats[1] == stats


MATCHED = {
    'CB-Meta':
    META_CE,
    'CB-DRW':
    osp.join(
        ROOT, 'configs/cb-drw/'
        'cb-drw_resnet8_1xb128_fashion-mnist-lt-r100.py'),
    'CE-DRW-matched':
    osp.join(
        ROOT,
        'configs/cb-drw/ce-drw-matched_resnet8_1xb128_fashion-mnist-lt-r100.py'
    ),
}


def test_matched_baselines_share_stage_one(tmp_path, fmnist_root):
    # CB-Meta, CB-DRW and CE-DRW-matched train the same data with the same
    # computation until the meta stage: the same weights after it.
    params = {}
    for name, base in MATCHED.items():
        path = osp.join(str(tmp_path), name + '.py')
        with open(path, 'w') as f:
            f.write(
                TINY.format(base=base, root=fmnist_root).replace(
                    'model = dict(meta_start_epoch=1, meta_lr=2.0)', ''))
        cfg = Config.fromfile(path)
        cfg.train_cfg.max_epochs = 1
        cfg.default_hooks.checkpoint = None
        cfg.work_dir = str(tmp_path / name)
        cfg.experiment_name = uuid.uuid4().hex
        runner = Runner.from_cfg(cfg)
        runner.train()
        params[name] = {
            k: v.detach().clone()
            for k, v in runner.model.named_parameters()
        }
    # The stage boundaries agree: epoch 4 for all three.
    assert Config.fromfile(MATCHED['CB-Meta']).model.meta_start_epoch == 4
    assert Config.fromfile(MATCHED['CB-DRW']).model.meta_lr == 0
    drw = [
        h for h in Config.fromfile(MATCHED['CE-DRW-matched']).custom_hooks
        if h['type'] == 'DeferredReweightingHook'
    ]
    assert drw[0]['drw_epoch'] == 4
    for name in ('CB-DRW', 'CE-DRW-matched'):
        for k, v in params['CB-Meta'].items():
            torch.testing.assert_close(params[name][k], v, rtol=0, atol=0)


# ------------------------------------------------------ eps statistics --


def test_epsilon_statistics_against_numpy():
    rng = np.random.default_rng(0)
    counts = [5000, 1500, 300, 150, 40]  # many > 1000, few < 200
    stats, all_eps, all_w, all_y = None, [], [], []
    for _ in range(3):
        y = rng.integers(0, 5, 16)
        eps = rng.normal(scale=0.1, size=16)
        w = 0.2 + eps
        stats = accumulate_epsilon(stats, torch.tensor(eps), torch.tensor(w),
                                   torch.tensor(y), 5)
        all_eps.append(eps), all_w.append(w), all_y.append(y)
    eps, w, y = map(np.concatenate, (all_eps, all_w, all_y))
    got = summarize_epsilon(stats, counts, 1000, 200)
    np.testing.assert_allclose(got['eps_min'], eps.min(), rtol=1e-6)
    np.testing.assert_allclose(got['eps_max'], eps.max(), rtol=1e-6)
    np.testing.assert_allclose(got['eps_mean'], eps.mean(), rtol=1e-5)
    groups = dict(many=[0, 1], medium=[2], few=[3, 4])
    for name, classes in groups.items():
        np.testing.assert_allclose(
            got[f'eps_mean_{name}'],
            eps[np.isin(y, classes)].mean(),
            rtol=1e-5)
    assert got['negative_weight_frac'] == pytest.approx((w < 0).mean())
    assert got['samples'] == 48


class ScalarRecorder:

    def __init__(self):
        self.calls = []

    def add_scalars(self, scalars, step=0, **kwargs):
        self.calls.append((step, dict(scalars)))


def test_logs_epsilon_statistics_per_meta_epoch(caplog):
    runner = fake_runner()
    model = runner.model
    model.set_class_counts([2000, 500, 50])  # many, medium, few
    runner.cfg.test_evaluator = dict(
        type='LongTailMetric', many_thr=1000, few_thr=200)
    runner.message_hub = MessageHub.get_instance(uuid.uuid4().hex)
    runner.visualizer = ScalarRecorder()
    runner.epoch = 4
    hook = MetaReweightHook()
    hook.before_train(runner)
    steps = [([0.1, -0.3, 0.2], [0, 1, 2]), ([0.5, 0.0, -0.1], [2, 2, 0])]
    for eps, y in steps:
        eps = torch.tensor(eps)
        model.meta_record = dict(
            eps=eps, weight=eps + 0.05, labels=torch.tensor(y))
        hook.after_train_iter(runner, 0)
        assert model.meta_record is None  # consumed
    hook.after_train_epoch(runner)
    info = runner.message_hub.get_info('meta_reweight/eps')
    assert info['eps_min'] == pytest.approx(-0.3)
    assert info['eps_max'] == pytest.approx(0.5)
    assert info['eps_mean'] == pytest.approx(0.4 / 6)
    assert info['eps_mean_many'] == pytest.approx(0.0)  # 0.1, -0.1
    assert info['eps_mean_medium'] == pytest.approx(-0.3)
    assert info['eps_mean_few'] == pytest.approx(0.7 / 3)  # 0.2, 0.5, 0
    assert info['negative_weight_frac'] == pytest.approx(2 / 6)
    step, scalars = runner.visualizer.calls[-1]
    assert step == 5 and scalars['meta_reweight/eps_mean_few'] == \
        pytest.approx(0.7 / 3)
    # The next epoch starts afresh; an epoch without meta steps logs none.
    hook.after_train_epoch(runner)
    assert len(runner.visualizer.calls) == 1


def test_epsilon_statistics_survive_a_mid_epoch_checkpoint():
    runner = fake_runner()
    runner.model.set_class_counts([2000, 500, 50])
    hook = MetaReweightHook()
    runner.model.meta_record = dict(
        eps=torch.tensor([0.1, -0.2]),
        weight=torch.tensor([0.3, -0.1]),
        labels=torch.tensor([0, 2]))
    hook.after_train_iter(runner, 0)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    other = MetaReweightHook()
    other.after_load_checkpoint(runner, checkpoint)
    for k, v in hook._stats.items():
        torch.testing.assert_close(other._stats[k], v)
