# Copyright (c) mmlt contributors. All rights reserved.
"""MetaReweightHook: development batches from the iteration alone, the
checks before training, and an exact resume inside the meta stage."""
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.engine.hooks import MetaReweightHook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
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
    runner.optim_wrapper = SimpleNamespace(
        get_lr=lambda: dict(lr=[0.05, 0.5]))
    with pytest.raises(ValueError, match='one learning rate'):
        hook.before_train_iter(runner, 0)


@pytest.mark.parametrize('options, error, match', [
    (dict(with_dev=False), ValueError, 'no `dev_dataloader`'),
    (dict(labels=()), ValueError, 'empty'),
    (dict(labels=(0, 1, 0, 1)), ValueError, r'classes \[2\] have no image'),
    (dict(model_type='ImageClassifier'), TypeError,
     'MetaReweightClassifier'),
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

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if 'meta_weight_mean' in outputs:
            self.weight_means[runner.iter] = outputs['meta_weight_mean']


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
    params = {k: v.detach().clone()
              for k, v in runner.model.state_dict().items()}
    return params, recorder


def test_resume_in_meta_stage_continues_exactly(tmp_path, fmnist_root):
    full, rec = train(tmp_path, fmnist_root, 'full', epochs=2)
    # Epoch 0 is plain training, epoch 1 meta-reweighted.
    assert rec.weight_means and min(rec.weight_means) >= 3
    train(tmp_path, fmnist_root, 'half', epochs=1)
    resumed, rec2 = train(
        tmp_path, fmnist_root, 'resumed', epochs=2, resume=True,
        load_from=str(tmp_path / 'half' / 'epoch_1.pth'))
    assert rec2.weight_means.keys() == rec.weight_means.keys()
    assert full.keys() == resumed.keys()
    for k in full:
        torch.testing.assert_close(resumed[k], full[k], rtol=0, atol=0)
    # The meta step did something: weights are not the class weights'
    # plain batch means every time.
    assert len({round(float(v), 6) for v in rec.weight_means.values()}) > 1
