# Copyright (c) mmlt contributors. All rights reserved.
"""The RIDE configs (Wang et al., ICLR 2021) and RIDE + GML: the authors'
hyper-parameters, and one training iteration of each config.

CIFAR-100-LT configs train in a runner on generated CIFAR-100 (stage two
from a stage-one checkpoint, checking what is frozen); the ImageNet-LT,
iNaturalist 2018 and Places-LT configs build their model and optimizer and
take one step on a random 64 x 64 batch (their datasets are not generated
here). The Fashion-MNIST-LT configs train an iteration in
test_method_configs_train.py; their recipe is checked here.
"""
import glob
import os.path as osp
import uuid

import pytest
import torch
from data_utils import write_cifar
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR100
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from test_cifar_lt import register_md5
from test_tools.utils import ROOT

import mmlt  # noqa: F401
from mmlt.models.losses import deferred_reweighting_weights
from mmlt.models.utils import freeze_module

RIDE = osp.join(ROOT, 'configs', 'ride')
GML = osp.join(ROOT, 'configs', 'gml')
CIFAR = ['cifar100-lt-r100', 'cifar100-lt-r50', 'cifar100-lt-r10']
# stage-one config -> (router config, GML config or None).
STAGES = {
    f'ride_resnet32-3exp_1xb128_{d}':
    (f'ride-router_resnet32-3exp_1xb512_{d}',
     'ride-gml_resnet32-3exp_1xb128_cifar100-lt-r100'
     if d.endswith('r100') else None)
    for d in CIFAR
}
STAGES.update({
    'ride_resnet50-3exp_8xb32_imagenet-lt':
    ('ride-router_resnet50-3exp_8xb64_imagenet-lt',
     'ride-gml_resnet50-3exp_8xb32_imagenet-lt'),
    'ride_resnet50-3exp_8xb64_inaturalist2018':
    ('ride-router_resnet50-3exp_8xb64_inaturalist2018', None),
    'ride_resnet152-3exp_8xb32_places-lt':
    ('ride-router_resnet152-3exp_8xb32_places-lt',
     'ride-gml_resnet152-3exp_8xb32_places-lt'),
    'ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100':
    ('ride-router_resnet8-3exp_1xb512_fashion-mnist-lt-r100',
     'ride-gml_resnet8-3exp_1xb128_fashion-mnist-lt-r100'),
})
# The authors' RIDELoss reweight factor and reweighting epoch per dataset
# (Places-LT: not in the paper; ImageNet-LT's factor, the LDAM-DRW epoch).
LOSS = {
    'cifar100': (0.05, 160),
    'imagenet-lt': (0.02, 80),
    'inaturalist2018': (0.015, 80),
    'places-lt': (0.02, 20),
    'fashion-mnist': (0.05, 5),
}


def load(name):
    folder = GML if name.startswith('ride-gml') else RIDE
    return Config.fromfile(osp.join(folder, f'{name}.py'))


def dataset_of(name):
    return next(k for k in LOSS if k in name)


def hook(cfg, kind):
    found = [h for h in cfg.custom_hooks if h.type == kind]
    return found[0] if found else None


def test_every_config_is_listed():
    listed = set(STAGES) | {r for r, _ in STAGES.values()}
    found = {osp.basename(p)[:-3] for p in glob.glob(osp.join(RIDE, '*.py'))}
    assert found == listed
    gml = {g for _, g in STAGES.values() if g}
    assert {
        osp.basename(p)[:-3]
        for p in glob.glob(osp.join(GML, 'ride-gml*.py'))
    } == gml


@pytest.mark.parametrize('name', sorted(STAGES))
def test_authors_hyper_parameters(name):
    cfg = load(name)
    head, loss = cfg.model.head, cfg.model.head.loss
    assert cfg.model.backbone.num_experts == head.num_experts == 3
    assert head.classifier == 'cosine' and head.scale == loss.s == 30.0
    assert (loss.type, loss.max_m, loss.diversity_factor,
            loss.base_temperature) == ('RIDELoss', 0.5, -0.2, 1.0)
    factor, drw_epoch = LOSS[dataset_of(name)]
    assert loss.reweight_factor == factor
    drw = hook(cfg, 'DeferredReweightingHook')
    assert (drw.drw_epoch, drw.beta) == (drw_epoch, 0.9999)
    assert cfg.optim_wrapper.optimizer.nesterov is True
    assert head.in_channels == cfg.model.backbone.expert_channels[-1]
    assert {m.type
            for m in cfg.test_evaluator
            } == {'LongTailMetric', 'ExpertUsageMetric'}
    if 'cifar' in name:
        assert cfg.model.backbone.expert_channels == (24, 48)
        assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
        assert cfg.train_cfg.max_epochs == 200
    if 'imagenet' in name or 'inaturalist' in name:
        assert cfg.model.backbone.expert_channels == (768, 1536)
        assert cfg.optim_wrapper.optimizer.weight_decay == 2e-4
        assert cfg.train_cfg.max_epochs == 100
        batch = cfg.train_dataloader.batch_size * 8
        lr = cfg.optim_wrapper.optimizer.lr
        assert (batch, lr) == ((256, 0.1) if 'imagenet' in name else
                               (512, 0.2))

    router_name, gml_name = STAGES[name]
    router = load(router_name)

    def arch(backbone):
        return {k: v for k, v in backbone.items() if k != 'init_cfg'}

    # The stage-one checkpoint supplies the weights: nothing to download.
    assert arch(router.model.backbone) == arch(cfg.model.backbone)
    assert router.model.backbone.get('init_cfg') is None
    assert router.model.head.train_router is True
    assert router.model.head.router.pos_weight == 100.0
    assert router.model.head.router.top_k == {
        'cifar100': 30,
        'fashion-mnist': 10
    }.get(dataset_of(name), 50)
    assert router.train_dataloader.sampler.type == 'ClassAwareSampler'
    assert router.optim_wrapper.optimizer.lr == 0.01
    assert router.optim_wrapper.optimizer.weight_decay == 5e-4
    assert router.train_cfg.max_epochs == (2 if 'fashion' in name else 5)
    assert hook(router, 'DeferredReweightingHook') is None
    stage = hook(router, 'DecoupledStageHook')
    assert (stage.switch_epoch, stage.get('reinit_head', False)) == (0, False)
    assert set(stage['freeze']) == {'backbone', 'neck', 'head.classifiers'}
    assert router.load_from is None
    if gml_name:
        gml = load(gml_name)
        assert arch(gml.model.backbone) == arch(cfg.model.backbone)
        assert gml.model.backbone.get('init_cfg') is None
        assert gml.model.head.classifier == 'linear'
        assert gml.model.head.loss.type == 'GeometricMeanLoss'
        assert gml.model.head.loss.reweight is True
        assert gml.model.head.get('router') is None
        stage = hook(gml, 'DecoupledStageHook')
        assert (stage.switch_epoch, stage.reinit_head) == (0, True)
        assert hook(gml, 'DeferredReweightingHook') is None
        assert gml.train_cfg.max_epochs == (2 if 'fashion' in name else 10)
        assert gml.optim_wrapper.optimizer.nesterov is False
        if 'fashion' in name:
            # RIDE's Fashion-MNIST features are ~3x shorter than CE's: 10x
            # CE-GML's lr (see the config's header).
            assert gml.optim_wrapper.optimizer.lr == 1.0


# ---------------------------------------------------------------------------
# CIFAR-100-LT: one iteration in a runner on generated data.


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar100')
    register_md5(
        monkeypatch, CIFAR100,
        write_cifar(
            root, num_classes=100, train_per_class=2, test_per_class=1))
    return root


def tiny(name, root, work_dir, load_from=None):
    cfg = load(name)
    cfg.train_dataloader.dataset.dataset.data_root = root
    # The config's imbalance factor, then 1-2 images per class: one batch.
    assert f'-r{cfg.train_dataloader.dataset.imbalance_factor}' in name
    cfg.train_dataloader.dataset.update(max_count=2, imbalance_factor=2)
    cfg.train_dataloader.update(
        batch_size=512, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(work_dir)
    cfg.load_from = load_from
    cfg.experiment_name = uuid.uuid4().hex
    return cfg


def run_one_iter(cfg):
    runner = Runner.from_cfg(cfg)
    before = {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
    }
    if cfg.load_from:
        # Stage two starts from the checkpoint (loaded in runner.train).
        saved = torch.load(cfg.load_from, map_location='cpu')['state_dict']
        before.update(saved)
    runner.train()
    assert runner.iter == 1
    after = runner.model.state_dict()
    moved = {k for k, v in after.items() if not torch.equal(v, before[k])}
    return runner, moved


@pytest.mark.parametrize('data', CIFAR)
def test_cifar_stages_train_one_iteration(data, cifar_root, tmp_path):
    name = f'ride_resnet32-3exp_1xb128_{data}'
    runner, moved = run_one_iter(tiny(name, cifar_root, tmp_path / 'one'))
    loss = runner.model.head.loss_module
    assert loss.has_class_counts and not loss.diversity_reweighted
    assert any(k.startswith('backbone.experts.2') for k in moved)
    assert any(k.startswith('head.classifiers.1') for k in moved)
    ckpt = str(tmp_path / 'one' / 'epoch_1.pth')

    router_name, gml_name = STAGES[name]
    runner, moved = run_one_iter(
        tiny(router_name, cifar_root, tmp_path / 'router', ckpt))
    # Only the router trains: the experts' weights and BN statistics stay.
    assert moved and all(k.startswith('head.router.') for k in moved), moved
    if gml_name:
        runner, moved = run_one_iter(
            tiny(gml_name, cifar_root, tmp_path / 'gml', ckpt))
        assert moved and all(k.startswith('head.classifiers.')
                             for k in moved), moved
        assert all(f'head.classifiers.{i}.bias' in moved for i in range(3))


# ---------------------------------------------------------------------------
# ImageNet-LT, iNaturalist 2018, Places-LT: one optimizer step.

LARGE = [n for n in STAGES if 'resnet32' not in n and 'resnet8' not in n]


def large_step(cfg, drw=False):
    model_cfg = cfg.model.copy()
    model_cfg.data_preprocessor = cfg.data_preprocessor
    # No download: the Places-LT ImageNet checkpoint is not needed here.
    model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    model.init_weights()
    num_classes = cfg.model.head.num_classes
    counts = torch.arange(num_classes, 0, -1) * 2
    loss = model.head.loss_module
    loss.set_class_counts(counts)
    if drw:
        loss.set_class_weight(deferred_reweighting_weights(counts, 1, 0))
    stage = hook(cfg, 'DecoupledStageHook')
    if stage is not None:
        for name in stage.get('freeze', None) or ('backbone', 'neck'):
            freeze_module(model.get_submodule(name))
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    data = dict(
        inputs=[
            torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
            for _ in range(2)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in (0, 7)])
    log = model.train_step(data, optim)
    assert torch.isfinite(log['loss'])
    return {
        k
        for k, v in model.state_dict().items()
        if not torch.equal(v, before[k])
    }


@pytest.mark.parametrize('name', LARGE)
def test_large_configs_take_a_step(name):
    cfg = load(name)
    moved = large_step(cfg, drw=True)
    assert any(k.startswith('backbone.experts.0') for k in moved)
    assert any(k.startswith('head.classifiers.2') for k in moved)
    router_name, gml_name = STAGES[name]
    moved = large_step(load(router_name))
    assert moved and all(k.startswith('head.router.') for k in moved)
    if gml_name:
        moved = large_step(load(gml_name))
        assert moved and all(k.startswith('head.classifiers.') for k in moved)
