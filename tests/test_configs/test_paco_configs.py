# Copyright (c) mmlt contributors. All rights reserved.
"""The PaCo configs (Cui et al., ICCV 2021): the authors' hyper-parameters,
two views, one training iteration of each on generated data, and the
PaCo + GML stages ("No One Left Behind", CVPR 2023) on a PaCo checkpoint."""
import glob
import os.path as osp
import uuid

import pytest
import torch
from data_utils import (write_cifar, write_imagenet_lt, write_inaturalist,
                        write_places_lt)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.datasets import CIFAR100
from mmpretrain.registry import DATASETS, MODELS
from test_cifar_lt import register_md5
from test_tools.utils import ROOT

import mmlt  # noqa: F401

PACO = osp.join(ROOT, 'configs', 'paco')
GML = osp.join(ROOT, 'configs', 'gml')
FMNIST = 'resnet8_1xb128_fashion-mnist-lt-r100'
# config -> (alpha, temperature, queue, embedding, momentum, lr, weight
# decay, epochs, batch per GPU, GPUs): the authors' scripts.
HYPER = {
    'resnet32_1xb128_cifar100-lt-r100':
    (0.01, 0.05, 1024, 32, 0.999, 0.05, 5e-4, 400, 128, 1),
    'resnet32_1xb128_cifar100-lt-r50':
    (0.01, 0.05, 1024, 32, 0.999, 0.05, 5e-4, 400, 128, 1),
    'resnet32_1xb128_cifar100-lt-r10':
    (0.01, 0.05, 1024, 32, 0.999, 0.05, 5e-4, 400, 128, 1),
    'resnet50_4xb32_imagenet-lt':
    (0.05, 0.2, 8192, 128, 0.999, 0.02, 5e-4, 400, 32, 4),
    'resnet50_8xb16_inaturalist2018': (0.05, 0.2, 8192, 128, 0.999, 0.04, 1e-4,
                                       400, 16, 8),
    'resnet152_4xb32_places-lt': (0.02, 0.2, 8192, 128, 0.999, 0.02, 5e-4, 30,
                                  32, 4),
    # The benchmark's recipe; momentum scaled to its ~700 steps.
    FMNIST: (0.01, 0.05, 1024, 32, 0.95, 0.1, 5e-4, 6, 128, 1),
}


def load(name):
    return Config.fromfile(osp.join(PACO, f'paco_{name}.py'))


def test_every_config_is_listed():
    found = {
        osp.basename(p)[len('paco_'):-3]
        for p in glob.glob(osp.join(PACO, 'paco_*.py'))
    }
    assert found == set(HYPER)


@pytest.mark.parametrize('name', sorted(HYPER))
def test_hyper_parameters(name):
    cfg = load(name)
    alpha, t, k, dim, m, lr, wd, epochs, batch, gpus = HYPER[name]
    model = cfg.model
    assert model.type == 'PaCo'
    loss = model.paco_loss
    assert (loss.type, loss.alpha, loss.get('beta',
                                            1.0), loss.get('gamma', 1.0),
            loss.temperature) == ('PaCoLoss', alpha, 1.0, 1.0, t)
    assert (model.queue_size, model.proj_channels, model.momentum) == (k, dim,
                                                                       m)
    assert model.queue_size >= batch * gpus  # a global batch fits
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', lr,
                                                                  0.9, wd)
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_dataloader.batch_size == batch
    assert f'{gpus}xb{batch}' in name
    assert cfg.auto_scale_lr.base_batch_size == batch * gpus
    # Linear warm-up, then cosine to 0 at the last epoch.
    warm, cos = cfg.param_scheduler
    assert warm.type == 'LinearLR' and cos.type == 'CosineAnnealingLR'
    assert warm.end == cos.begin and cos.end == epochs and cos.eta_min == 0
    # Two views through mmpretrain's MultiView.
    pipeline = cfg.train_dataloader.dataset.dataset.pipeline
    views = [t for t in pipeline if t.type == 'MultiView']
    assert len(views) == 1 and views[0].num_views == [1, 1]
    assert len(views[0].transforms) == 2
    assert cfg.data_preprocessor.type == 'MultiViewClsDataPreprocessor'
    # The header names the method and where the values come from.
    with open(osp.join(PACO, f'paco_{name}.py')) as f:
        header = f.read().split('_base_')[0]
    assert 'Cui et al., ICCV 2021' in header
    assert 'Parametric-Contrastive-Learning' in header
    assert 'paper 0' not in header.lower()


def test_places_freezes_all_convolutions_but_the_last_block():
    cfg = load('resnet152_4xb32_places-lt')
    model = MODELS.build(
        dict(cfg.model, backbone=dict(cfg.model.backbone, init_cfg=None)))
    from mmengine.optim import build_optim_wrapper
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lr_of = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lr_of[names[id(p)]] = group['lr']
    convs = [
        n for n in lr_of if n.startswith('backbone.') and
        ('.conv' in n or 'downsample.0' in n or n.startswith('backbone.conv'))
    ]
    assert convs
    for n in convs:
        assert lr_of[n] == (0.02
                            if n.startswith('backbone.layer4.2.') else 0.0), n
    assert lr_of['backbone.layer1.0.bn1.weight'] == 0.02  # BN trains
    assert lr_of['head.fc.weight'] == lr_of['projector.0.weight'] == 0.02


def tiny(cfg, work_dir, batch):
    for key in ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg'):
        cfg[key] = None
    cfg.train_dataloader.update(
        batch_size=batch, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
    cfg.default_hooks.checkpoint = None
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = uuid.uuid4().hex
    return cfg


def train_one_iteration(cfg):
    runner = Runner.from_cfg(cfg)
    model = runner.model
    before = {k: v.clone() for k, v in model.state_dict().items()}
    runner.train()
    after = model.state_dict()
    assert runner.iter == 1
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    # The classifier, the backbone, the projector, the key encoder and
    # the queue all moved.
    for prefix in ('head.fc.', 'backbone.', 'projector.',
                   'key_encoder.backbone.', 'queue'):
        assert any(k.startswith(prefix) for k in moved), (prefix, moved)
    # The batch's keys entered the queue.
    assert int(after['queue_ptr']) == min(cfg.train_dataloader.batch_size,
                                          len(runner.train_dataloader.dataset))
    return runner


def test_fashion_mnist_trains_one_iteration(fmnist_root, tmp_path):
    cfg = tiny(load(FMNIST), tmp_path, 128)
    cfg.train_dataloader.dataset.imbalance_factor = 10
    cfg.train_dataloader.dataset.dataset.data_root = fmnist_root
    train_one_iteration(cfg)


@pytest.mark.parametrize('name', [n for n in HYPER if 'cifar100' in n])
def test_cifar100_trains_one_iteration(name, tmp_path, monkeypatch):
    root = str(tmp_path / 'cifar100')
    register_md5(monkeypatch, CIFAR100,
                 write_cifar(root, num_classes=100, train_per_class=2))
    cfg = tiny(load(name), tmp_path / 'work', 128)
    # One image per class (100): one batch.
    cfg.train_dataloader.dataset.update(max_count=1, imbalance_factor=1)
    cfg.train_dataloader.dataset.dataset.data_root = root
    train_one_iteration(cfg)


LARGE = {
    'resnet50_4xb32_imagenet-lt':
    lambda root: write_imagenet_lt(root, [2, 1, 1]),
    'resnet50_8xb16_inaturalist2018':
    lambda root: write_inaturalist(root, 2018, [2, 1, 1]),
    'resnet152_4xb32_places-lt':
    lambda root: write_places_lt(root, [2, 1, 1]),
}


@pytest.mark.parametrize('name', sorted(LARGE))
def test_large_configs_train_one_iteration(name, tmp_path):
    """The configs' pipelines, data pre-processor and model on 3 generated
    classes' images (no pre-trained download)."""
    root = LARGE[name](str(tmp_path / 'data'))
    cfg = tiny(load(name), tmp_path / 'work', 4)
    cfg.train_dataloader.dataset.dataset.data_root = root
    init_default_scope('mmpretrain')
    classes = len(
        DATASETS.build(cfg.train_dataloader.dataset).metainfo['classes'])
    cfg.data_preprocessor.num_classes = classes
    cfg.model.head.num_classes = classes
    # Most classes have no generated image: counts of one for the prior.
    cfg.model.paco_loss.class_counts = [1] * classes
    cfg.model.backbone.init_cfg = None
    train_one_iteration(cfg)


# PaCo + GML ("No One Left Behind", CVPR 2023).
GML_MODELS = {
    FMNIST: 'resnet8_1xb128_fashion-mnist-lt-r100',
    'resnet32_1xb128_cifar100-lt-r100': 'resnet32_1xb128_cifar100-lt-r100',
    'resnet50_4xb32_imagenet-lt': 'resnet50_8xb64_imagenet-lt',
    'resnet152_4xb32_places-lt': 'resnet152_8xb32_places-lt',
}


@pytest.mark.parametrize('paco', sorted(GML_MODELS))
@pytest.mark.parametrize('name', ['paco-gml', 'paco-gml-ensemble'])
def test_gml_configs_are_ce_gml_on_the_paco_backbone(name, paco):
    model = GML_MODELS[paco]
    cfg = Config.fromfile(osp.join(GML, f'{name}_{model}.py'))
    ce = Config.fromfile(
        osp.join(GML, f'{name.replace("paco", "ce")}_{model}.py'))
    assert cfg.to_dict() == ce.to_dict()  # the stage; only load_from differs
    one = load(paco)

    def arch(backbone):
        return {k: v for k, v in backbone.items() if k != 'init_cfg'}

    assert arch(cfg.model.backbone) == arch(one.model.backbone)
    assert cfg.model.neck == one.model.neck
    assert cfg.model.head.in_channels == one.model.head.in_channels
    assert cfg.model.head.num_classes == one.model.head.num_classes
    with open(osp.join(GML, f'{name}_{model}.py')) as f:
        assert f'configs/paco/paco_{paco}.py' in f.read()


@pytest.fixture(scope='module')
def paco_checkpoint(tmp_path_factory):
    """A PaCo Fashion-MNIST-LT model with a trained-looking classifier."""
    model = MODELS.build(load(FMNIST).model)
    model.init_weights()
    with torch.no_grad():
        model.head.fc.bias.normal_()
    path = str(tmp_path_factory.mktemp('paco') / 'epoch_6.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path, model.state_dict()


@pytest.mark.parametrize('name', ['paco-gml', 'paco-gml-ensemble'])
def test_gml_stage_runs_on_a_paco_checkpoint(name, paco_checkpoint,
                                             fmnist_root, tmp_path):
    ckpt, saved = paco_checkpoint
    cfg = Config.fromfile(osp.join(GML, f'{name}_{FMNIST}.py'))
    cfg = tiny(cfg, tmp_path, 128)
    cfg.train_dataloader.dataset.imbalance_factor = 10
    cfg.train_dataloader.dataset.dataset.data_root = fmnist_root
    cfg.load_from = ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    state = runner.model.state_dict()
    # PaCo's backbone, frozen; a new classifier; for the ensemble, PaCo's
    # classifier as the old one.
    for k in saved:
        if k.startswith('backbone.'):
            assert torch.equal(saved[k], state[k]), k
    assert not torch.equal(saved['head.fc.weight'], state['head.fc.weight'])
    assert not any(
        k.startswith(('key_encoder', 'projector', 'queue')) for k in state)
    if name.endswith('ensemble'):
        assert torch.equal(state['head.old_fc.weight'],
                           saved['head.fc.weight'])
        assert torch.equal(state['head.old_fc.bias'], saved['head.fc.bias'])


def test_cost_benchmark_paco_part():
    """The PaCo iteration of tools/benchmarks/cost_benchmark.py runs."""
    import importlib.util
    path = osp.join(ROOT, 'tools', 'benchmarks', 'cost_benchmark.py')
    spec = importlib.util.spec_from_file_location('cost_benchmark', path)
    cost = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cost)
    args = cost.parse_args(['--device', 'cpu', '--parts', 'paco', '--quick'])
    args.meta_repeats, args.warmup, args.min_sample_ms = 1, 0, 0.0
    result = cost.measure_paco(args)
    assert result['time'] > 0 and result['paco_peak'] > 0
