# Copyright (c) mmlt contributors. All rights reserved.
"""GLAG stage-one configs: GraLoss and its schedule, and the Table 6
stage-two configs, each against the config it replaces the CE of."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmpretrain.registry import HOOKS

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FMNIST = 'resnet8_1xb128_fashion-mnist-lt-r100'
C100 = 'resnet32_1xb128_cifar100-lt-r{}'


def load(folder, name):
    return Config.fromfile(osp.join(ROOT, 'configs', folder, name + '.py'))


def schedule_hooks(cfg):
    return [h for h in cfg.custom_hooks if h.type == 'GradualScheduleHook']


# (config, its CE/base config, form, power)
STAGE_ONE = [
    (f'glag-stage1_{FMNIST}', ('ce', f'ce_{FMNIST}'), 'convex', 2.0),
    (f'glag-stage1-linear_{FMNIST}', ('ce', f'ce_{FMNIST}'), 'linear', 2.0),
    (f'glag-stage1-concave_{FMNIST}', ('ce', f'ce_{FMNIST}'), 'concave', 2.0),
    (f'glag-stage1-convex3_{FMNIST}', ('ce', f'ce_{FMNIST}'), 'convex', 3.0),
    (f'gra-mislas-stage1_{FMNIST}',
     ('mislas', f'mislas-stage1_{FMNIST}'), 'convex', 2.0),
    ('glag-stage1_' + C100.format(100),
     ('ce', 'ce_' + C100.format(100)), 'convex', 2.0),
    ('glag-stage1-linear_' + C100.format(100),
     ('ce', 'ce_' + C100.format(100)), 'linear', 2.0),
    ('glag-stage1-concave_' + C100.format(100),
     ('ce', 'ce_' + C100.format(100)), 'concave', 2.0),
    ('glag-stage1-convex3_' + C100.format(100),
     ('ce', 'ce_' + C100.format(100)), 'convex', 3.0),
    ('gra-stage1_' + C100.format(100),
     ('ce', 'ce_' + C100.format(100)), 'convex', 2.0),
    ('gra-mislas-stage1_' + C100.format(100),
     ('mislas', 'mislas-stage1_' + C100.format(100)), 'convex', 2.0),
] + [
    ('glag-stage1_' + C100.format(imf),
     ('ce', 'ce_' + C100.format(imf)), 'convex', 2.0) for imf in (200, 50, 10)
] + [(f'glag-stage1_{net}', ('ce', f'ce_{net}'), 'convex', 2.0)
     for net in ('resnet10_8xb64_imagenet-lt', 'resnet50_8xb64_imagenet-lt',
                 'resnet50_8xb64_inaturalist2018')]


@pytest.mark.parametrize(
    'name, base, form, power', STAGE_ONE, ids=[c[0] for c in STAGE_ONE])
def test_stage_one_replaces_only_the_loss(name, base, form, power):
    cfg, ref = load('glag', name), load(*base)
    assert cfg.model.head.loss == dict(
        type='GradualBalancedLoss', tau_final=1.0)
    (hook, ) = schedule_hooks(cfg)
    assert (hook.targets, hook.attr, hook.form, hook.power,
            hook.by_epoch) == ('GradualBalancedLoss', 'tau', form, power, True)
    # Everything else of the replaced config stays: data, model, hooks.
    assert cfg.train_dataloader == ref.train_dataloader
    assert cfg.model.backbone == ref.model.backbone
    assert cfg.model.get('train_cfg') == ref.model.get('train_cfg')
    assert cfg.custom_hooks[:-1] == ref.custom_hooks
    assert cfg.train_cfg.max_epochs == ref.train_cfg.max_epochs
    if name.startswith('glag-stage1') and 'cifar' in name:
        # GLAG's own recipe: cosine, weight decay 5e-4.
        assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
        assert [s.type for s in cfg.param_scheduler
                ] == ['LinearLR', 'CosineAnnealingLR']
    else:
        # Table 6 / the recipes that already are GLAG's: unchanged.
        assert cfg.param_scheduler == ref.param_scheduler
        assert cfg.optim_wrapper == ref.optim_wrapper


def test_fashion_mnist_tau_per_epoch():
    # The hook built from the config gives the documented values.
    values = {}
    for name in ('glag-stage1', 'glag-stage1-linear', 'glag-stage1-concave',
                 'glag-stage1-convex3'):
        cfg = load('glag', f'{name}_{FMNIST}')
        hook = HOOKS.build(schedule_hooks(cfg)[0])
        values[name] = [
            round(hook.value(1.0, e, cfg.train_cfg.max_epochs), 6)
            for e in range(6)
        ]
    assert values == {
        'glag-stage1': [0.0, 0.04, 0.16, 0.36, 0.64, 1.0],
        'glag-stage1-linear': [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
        'glag-stage1-concave': [0.0, 0.36, 0.64, 0.84, 0.96, 1.0],
        'glag-stage1-convex3': [0.0, 0.008, 0.064, 0.216, 0.512, 1.0],
    }


# (stage-two config, the config it reuses)
STAGE_TWO = [
    (f'gra-crt_{FMNIST}', ('decoupling', f'crt_{FMNIST}')),
    (f'gra-lws_{FMNIST}', ('decoupling', f'lws_{FMNIST}')),
    (f'gra-mislas-stage2_{FMNIST}', ('mislas', f'mislas-stage2_{FMNIST}')),
    ('gra-crt_' + C100.format(100), ('decoupling', 'crt_' + C100.format(100))),
    ('gra-lws_' + C100.format(100), ('decoupling', 'lws_' + C100.format(100))),
    ('gra-mislas-stage2_' + C100.format(100),
     ('mislas', 'mislas-stage2_' + C100.format(100))),
]


@pytest.mark.parametrize(
    'name, base', STAGE_TWO, ids=[c[0] for c in STAGE_TWO])
def test_stage_two_is_the_methods_stage_two(name, base):
    cfg, ref = load('glag', name), load(*base)
    assert cfg.load_from is None  # the GraLoss stage one, passed by the user
    assert cfg.to_dict() == ref.to_dict()
    assert not schedule_hooks(cfg)
    assert [
        h.switch_epoch for h in cfg.custom_hooks
        if h.type == 'DecoupledStageHook'
    ] == [0]
