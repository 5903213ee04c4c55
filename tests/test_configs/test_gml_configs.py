# Copyright (c) mmlt contributors. All rights reserved.
"""The GML configs ("No One Left Behind", CVPR 2023): the CIFAR-100-LT ones
match their stage-one configs, and the Fashion-MNIST-LT ensemble stage runs
on the generated data: frozen backbone, re-initialised classifier, the
stage-one classifier kept for the ensemble through test and resume."""
import glob
import os.path as osp
import uuid

import pytest
import torch
from data_utils import write_cifar
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR100
from mmpretrain.registry import MODELS
from test_cifar_lt import register_md5
from test_engine.test_hooks.test_decoupled_stage_hook import (
    assert_equal_states, backbone_of, stage_config, train, unwrap)
from test_tools.utils import ROOT

import mmlt  # noqa: F401

GML = osp.join(ROOT, 'configs', 'gml')
CIFAR = 'resnet32_1xb128_cifar100-lt-r100'
FMNIST = 'resnet8_1xb128_fashion-mnist-lt-r100'
# config -> (its stage-one config, or None when trained from scratch).
CIFAR_CONFIGS = {
    'ce-gml': 'ce/ce',
    'ce-gml-ensemble': 'ce/ce',
    'ce-gml-noreweight': 'ce/ce',
    'ce-gml-noreweight-resample': 'ce/ce',
    'balanced-softmax-gml': 'balanced-softmax/balanced-softmax',
    'balanced-softmax-gml-ensemble': 'balanced-softmax/balanced-softmax',
    'ldam-drw-gml': 'ldam-drw/ldam-drw',
    'ldam-drw-gml-ensemble': 'ldam-drw/ldam-drw',
    'mislas-gml': 'mislas/mislas-stage2',
    'mislas-gml-ensemble': 'mislas/mislas-stage2',
    'paco-gml': 'paco/paco',
    'paco-gml-ensemble': 'paco/paco',
    'gml': None,
}


def load(name, model=CIFAR):
    return Config.fromfile(osp.join(GML, f'{name}_{model}.py'))


def gml_loss(cfg):
    loss = cfg.model.head.loss
    if loss.type == 'CombinedLoss':
        (loss, ) = [x for x in loss.losses if x.type == 'GeometricMeanLoss']
    assert loss.type == 'GeometricMeanLoss'
    return loss


def test_every_config_is_listed():
    found = {
        osp.basename(p).split('_')[0]
        for p in glob.glob(osp.join(GML, f'*_{CIFAR}.py'))
    }
    assert found == set(CIFAR_CONFIGS)


@pytest.mark.parametrize('name', sorted(CIFAR_CONFIGS))
def test_cifar_config_matches_stage_one(name):
    cfg, ce = load(name), Config.fromfile(
        osp.join(ROOT, 'configs', 'ce', f'ce_{CIFAR}.py'))
    stage_one = CIFAR_CONFIGS[name]
    if stage_one is not None:
        one = Config.fromfile(
            osp.join(ROOT, 'configs', f'{stage_one}_{CIFAR}.py'))
        # The stage-one checkpoint's backbone loads and is frozen as is.
        assert cfg.model.backbone == one.model.backbone
        assert cfg.model.head.num_classes == one.model.head.num_classes
    # The same long-tailed training set, model and evaluation as CE.
    assert cfg.train_dataloader.dataset == ce.train_dataloader.dataset
    assert cfg.model.backbone == ce.model.backbone
    assert cfg.val_evaluator == ce.val_evaluator

    reweight = 'noreweight' not in name
    assert gml_loss(cfg).reweight is reweight
    resample = name.endswith('-resample')
    assert cfg.train_dataloader.sampler.type == (
        'ClassAwareSampler' if resample else 'DefaultSampler')
    head = cfg.model.head
    ensemble = name.endswith('-ensemble')
    assert head.type == ('EnsembleClsHead' if ensemble else 'LinearClsHead')
    if ensemble:
        cosine = name.startswith('ldam')
        assert head.old_classifier == ('cosine' if cosine else 'linear')
        assert head.new_temperature == 1.0
        assert head.old_temperature == pytest.approx(1 / 30 if cosine else 1)
    if name.startswith('mislas'):
        las = [
            x for x in head.loss.losses if x.type == 'LabelAwareSmoothingLoss'
        ]
        assert las and las[0].smooth_head == one.model.head.loss.smooth_head

    hooks = [h for h in cfg.custom_hooks if h.type == 'DecoupledStageHook']
    if stage_one is None:  # Tab. 9: from scratch, the CE recipe.
        assert not hooks and cfg.train_cfg == ce.train_cfg
        assert cfg.param_scheduler == ce.param_scheduler
        return
    assert [(h.switch_epoch, h.reinit_head) for h in hooks] == [(0, True)]
    assert cfg.load_from is None
    assert cfg.train_cfg.max_epochs == 10
    (sched, ) = cfg.param_scheduler
    assert (sched.type, sched.begin, sched.end) == ('CosineAnnealingLR', 0, 10)


# The ImageNet-LT and Places-LT CE + GML configs and their stage one.
LARGE = {
    'resnet50_8xb64_imagenet-lt': 'ce_resnet50_8xb64_imagenet-lt',
    'resnet152_8xb32_places-lt': 'ce_resnet152_8xb32_places-lt',
}


@pytest.mark.parametrize('model', sorted(LARGE))
@pytest.mark.parametrize('name', ['ce-gml', 'ce-gml-ensemble'])
def test_large_dataset_configs(name, model):
    cfg = load(name, model)
    ce = Config.fromfile(osp.join(ROOT, 'configs', 'ce', f'{LARGE[model]}.py'))
    assert cfg.train_dataloader.dataset == ce.train_dataloader.dataset
    assert cfg.val_dataloader == ce.val_dataloader
    assert cfg.test_dataloader == ce.test_dataloader

    def arch(backbone):
        return {k: v for k, v in backbone.items() if k != 'init_cfg'}

    assert arch(cfg.model.backbone) == arch(ce.model.backbone)
    # The stage-one checkpoint supplies the weights: nothing to download.
    assert cfg.model.backbone.get('init_cfg') is None
    assert cfg.model.head.num_classes == ce.model.head.num_classes
    assert gml_loss(cfg).reweight is True
    assert cfg.model.head.type == (
        'EnsembleClsHead' if name.endswith('-ensemble') else 'LinearClsHead')
    hooks = [h for h in cfg.custom_hooks if h.type == 'DecoupledStageHook']
    assert [(h.switch_epoch, h.reinit_head) for h in hooks] == [(0, True)]
    assert cfg.train_cfg.max_epochs == 10 and cfg.load_from is None


def test_fashion_mnist_configs():
    crt = Config.fromfile(
        osp.join(ROOT, 'configs', 'decoupling', f'crt_{FMNIST}.py'))
    for name in ('ce-gml', 'ce-gml-ensemble'):
        cfg = load(name, FMNIST)
        # cRT's stage-two budget, without its class-balanced sampling.
        assert cfg.train_cfg == crt.train_cfg
        assert cfg.param_scheduler == crt.param_scheduler
        assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
        assert gml_loss(cfg).reweight is True
    head = load('ce-gml-ensemble', FMNIST).model.head
    # t = 1: Fashion-MNIST-LT's validation set is its test set.
    assert (head.type, head.new_temperature,
            head.old_temperature) == ('EnsembleClsHead', 1.0, 1.0)


@pytest.fixture(scope='module')
def ce_checkpoint(tmp_path_factory, fmnist_root):
    tmp = tmp_path_factory.mktemp('ce')
    train(stage_config(tmp, fmnist_root), tmp / 'work')
    path = str(tmp / 'work' / 'epoch_1.pth')
    return path, torch.load(path, map_location='cpu')['state_dict']


@pytest.fixture(scope='module')
def ensemble_run(tmp_path_factory, fmnist_root, ce_checkpoint):
    """Two epochs of the ensemble stage on the CE model."""
    ckpt, _ = ce_checkpoint
    tmp = tmp_path_factory.mktemp('gml')
    cfg = stage_config(
        tmp,
        fmnist_root,
        base=osp.join(GML, f'ce-gml-ensemble_{FMNIST}.py'),
        epochs=2)
    runner, rec = train(cfg, tmp / 'work', load_from=ckpt)
    return cfg, tmp / 'work', runner, rec


def test_ensemble_stage_freezes_backbone_and_keeps_old_classifier(
        ce_checkpoint, ensemble_run):
    _, saved = ce_checkpoint
    _, work, runner, rec = ensemble_run
    start = rec.start[0]
    assert not start['backbone_training'] and start['head_training']
    assert start['trainable'] == ['head.fc.weight', 'head.fc.bias']
    assert type(start['loss']).__name__ == 'GeometricMeanLoss'
    assert start['loss'].has_class_counts  # from ClassCountsHook
    assert start['sampler'] == 'DefaultSampler'
    # Re-initialised: Normal(std=0.01) weights, zero bias.
    assert start['head']['fc.bias'].eq(0).all()
    assert not torch.equal(start['head']['fc.weight'], saved['head.fc.weight'])
    # The CE classifier is the old one, from the start to the end.
    assert torch.equal(start['head']['old_fc.weight'], saved['head.fc.weight'])
    assert torch.equal(start['head']['old_fc.bias'], saved['head.fc.bias'])
    assert bool(start['head']['old_fc.loaded'])
    final = rec.end[1]
    assert torch.equal(final['head.old_fc.weight'], saved['head.fc.weight'])
    assert torch.equal(final['head.old_fc.bias'], saved['head.fc.bias'])
    # Backbone weights and BN buffers bit-identical to the CE checkpoint
    # after both epochs; the new classifier moved.
    for epoch in (0, 1):
        assert_equal_states(backbone_of(saved), backbone_of(rec.end[epoch]))
    assert not torch.equal(start['head']['fc.weight'], final['head.fc.weight'])


def test_stage_two_checkpoint_tests_with_the_ensemble(ce_checkpoint,
                                                      ensemble_run, tmp_path):
    _, saved = ce_checkpoint
    cfg, work, _, _ = ensemble_run
    ckpt = str(work / 'epoch_2.pth')
    stage_two = torch.load(ckpt, map_location='cpu')['state_dict']
    # As tools/test.py: the checkpoint's old_fc loads as saved, fc does not
    # replace it.
    test_cfg = Config.fromfile(cfg)
    test_cfg.work_dir = str(tmp_path / 'test')
    test_cfg.load_from = ckpt
    test_cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(test_cfg)
    metrics = runner.test()
    head = unwrap(runner.model).head
    assert torch.equal(head.old_fc.weight.cpu(), saved['head.fc.weight'])
    assert torch.equal(head.fc.weight.cpu(), stage_two['head.fc.weight'])
    assert 'long-tail/hmean_recall' in metrics


def test_resume_keeps_the_old_classifier(ce_checkpoint, ensemble_run,
                                         tmp_path):
    _, saved = ce_checkpoint
    cfg, work, _, _ = ensemble_run
    ckpt = str(work / 'epoch_1.pth')
    runner, rec = train(
        cfg,
        tmp_path / 'resumed',
        resume=True,
        load_from=ckpt,
        **{'train_cfg.max_epochs': 2})
    start = rec.start[1]
    saved1 = torch.load(ckpt, map_location='cpu')['state_dict']
    # Resumed after the switch: the checkpoint's new classifier, no
    # re-initialisation; the old one is still the CE classifier.
    assert torch.equal(start['head']['fc.weight'], saved1['head.fc.weight'])
    assert torch.equal(start['head']['old_fc.weight'], saved['head.fc.weight'])
    assert not start['backbone_training']
    assert_equal_states(backbone_of(saved), backbone_of(rec.end[1]))


def test_plain_gml_stage(ce_checkpoint, tmp_path, fmnist_root):
    ckpt, saved = ce_checkpoint
    cfg = stage_config(
        tmp_path, fmnist_root, base=osp.join(GML, f'ce-gml_{FMNIST}.py'))
    runner, rec = train(cfg, tmp_path / 'work', load_from=ckpt)
    assert rec.start[0]['trainable'] == ['head.fc.weight', 'head.fc.bias']
    assert 'old_fc.weight' not in rec.start[0]['head']
    assert_equal_states(backbone_of(saved), backbone_of(rec.end[0]))
    assert not torch.equal(saved['head.fc.weight'],
                           rec.end[0]['head.fc.weight'])


def test_mislas_gml_ensemble_runs_on_generated_cifar100_lt(
        tmp_path, monkeypatch):
    """The LWS head of a MiSLAS stage-two checkpoint becomes the old
    classifier (scales folded in); GML + LAS train the new one."""
    root = str(tmp_path / 'cifar100')
    register_md5(monkeypatch, CIFAR100, write_cifar(root, num_classes=100))
    mislas = Config.fromfile(
        osp.join(ROOT, 'configs', 'mislas', f'mislas-stage2_{CIFAR}.py'))
    model = MODELS.build(mislas.model)
    model.init_weights()
    with torch.no_grad():
        model.head.scales.uniform_(0.5, 2.0)
        model.head.fc.bias.normal_()
    ckpt = str(tmp_path / 'epoch_10.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)

    cfg = load('mislas-gml-ensemble')
    cfg.train_dataloader.dataset.dataset.data_root = root
    # 20 ... 2 images per class at IF 10.
    cfg.train_dataloader.dataset.update(max_count=20, imbalance_factor=10)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False, batch_size=64)
    cfg.val_dataloader.dataset.data_root = root
    cfg.test_dataloader.dataset.data_root = root
    cfg.train_cfg.max_epochs = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.load_from = ckpt
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    runner.train()

    saved = model.state_dict()
    trained = unwrap(runner.model).state_dict()
    backbone = [k for k in saved if k.startswith('backbone.')]
    assert all(torch.equal(saved[k], trained[k].cpu()) for k in backbone)
    scales = saved['head.scales']
    torch.testing.assert_close(trained['head.old_fc.weight'].cpu(),
                               saved['head.fc.weight'] * scales[:, None])
    torch.testing.assert_close(trained['head.old_fc.bias'].cpu(),
                               saved['head.fc.bias'] * scales)
    assert not torch.equal(saved['head.fc.weight'],
                           trained['head.fc.weight'].cpu())
    losses = unwrap(runner.model).head.loss_module.losses
    assert [type(x).__name__ for x in losses
            ] == ['GeometricMeanLoss', 'LabelAwareSmoothingLoss']
    assert all(x.has_class_counts for x in losses)
    # Validation predicted with the ensemble.
    assert runner.message_hub.get_scalar(
        'val/long-tail/hmean_recall') is not None
