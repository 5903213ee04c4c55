# Copyright (c) mmlt contributors. All rights reserved.
import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import BaseLoop
from torch import nn

from mmlt.engine.hooks import ClassCountsHook
from mmlt.utils import ClassCountsMixin


class CountsLoss(ClassCountsMixin, nn.Module):

    def __init__(self, class_counts=None, num_classes=None):
        super().__init__()
        self.changes = 0
        self.init_class_counts(class_counts, num_classes)

    def class_counts_changed(self):
        self.changes += 1


class CountsMetric(ClassCountsMixin):

    def __init__(self):
        self.init_class_counts()


class Head(nn.Module):

    def __init__(self, num_classes, loss):
        super().__init__()
        self.num_classes = num_classes
        self.fc = nn.Linear(2, num_classes)
        self.loss_module = loss


class Model(BaseModel):

    def __init__(self, num_classes=3, loss=None):
        super().__init__()
        self.head = Head(num_classes, loss or CountsLoss())

    def forward(self, *args, **kwargs):
        pass


class Dataset:
    metainfo = dict(classes=['a', 'b', 'c'])

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def get_gt_labels(self):
        return self.labels

    def __len__(self):
        return len(self.labels)


class Loop(BaseLoop):

    def __init__(self, dataset=None, metrics=()):
        self.dataloader = SimpleNamespace(dataset=dataset)
        self.evaluator = SimpleNamespace(metrics=list(metrics))

    def run(self):
        pass


def make_runner(model, train=None, val=None, test=None, cfg=None):
    return SimpleNamespace(
        model=model,
        _train_loop=train,
        _val_loop=val,
        _test_loop=test,
        cfg=Config(cfg or {}),
        logger=logging.getLogger('test'))


def test_counts_reach_model_and_metrics_before_training():
    model, metric = Model(), CountsMetric()
    runner = make_runner(
        model,
        train=Loop(Dataset([0, 0, 0, 1, 1, 2])),
        val=Loop(metrics=[metric]))
    hook = ClassCountsHook()
    hook.before_run(runner)
    assert model.head.loss_module.class_counts.tolist() == [3, 2, 1]
    assert model.head.loss_module.changes == 1
    assert metric.class_counts.tolist() == [3, 2, 1]
    # ... and are persisted in every checkpoint.
    checkpoint = dict(meta=dict())
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta']['class_counts'] == [3, 2, 1]
    # During training the checkpoint never replaces the training set's
    # counts (fine-tuning from another dataset's checkpoint).
    hook.after_load_checkpoint(runner, dict(meta=dict(class_counts=[9, 9, 9])))
    assert metric.class_counts.tolist() == [3, 2, 1]


def test_explicit_counts_are_kept():
    model = Model(loss=CountsLoss(class_counts=[5, 5, 5]))
    runner = make_runner(model, train=Loop(Dataset([0, 1, 2, 2])))
    ClassCountsHook().before_run(runner)
    assert model.head.loss_module.class_counts.tolist() == [5, 5, 5]


def test_test_only_run_takes_counts_from_checkpoint():
    model, metric = Model(), CountsMetric()
    runner = make_runner(model, test=Loop(metrics=[metric]))
    hook = ClassCountsHook()
    hook.before_run(runner)  # no training set: nothing yet
    assert not metric.has_class_counts
    hook.after_load_checkpoint(runner, dict(meta=dict(class_counts=[7, 4, 1])))
    assert metric.class_counts.tolist() == [7, 4, 1]
    assert model.head.loss_module.class_counts.tolist() == [7, 4, 1]


def test_head_num_classes_mismatch():
    runner = make_runner(Model(num_classes=5), train=Loop(Dataset([0, 1, 2])))
    with pytest.raises(
            ValueError,
            match=r'model.head.num_classes is 5 but '
            r'the training set has 3 classes'):
        ClassCountsHook().before_run(runner)


def test_consumer_checks_length_and_zero():
    runner = make_runner(
        Model(loss=CountsLoss(num_classes=4)), train=Loop(Dataset([0, 1])))
    with pytest.raises(ValueError, match='CountsLoss: class_counts has 3'):
        ClassCountsHook().before_run(runner)
    runner = make_runner(Model(), train=Loop(Dataset([0, 0, 1])))
    with pytest.raises(
            ValueError,
            match=r'CountsLoss: classes \[2\] have '
            'zero training images'):
        ClassCountsHook().before_run(runner)


def test_counts_follow_the_module_device_cache():
    loss = CountsLoss(class_counts=[1, 2])
    counts = loss.get_class_counts(device='cpu', dtype=torch.float64)
    assert counts.dtype == torch.float64 and counts.tolist() == [1.0, 2.0]
    # The buffer is not persistent: checkpoints keep counts in the meta.
    assert 'class_counts' not in loss.state_dict()
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        CountsLoss().get_class_counts()
