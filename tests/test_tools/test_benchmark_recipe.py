# Copyright (c) mmlt contributors. All rights reserved.
"""tools/benchmarks/recipe.py: a recipe of E epochs gives every method the
same budget and keeps each epoch index's share of its stage."""
import os.path as osp

import pytest
from mmengine.config import Config
from utils import ROOT, load_module


@pytest.fixture(scope='module')
def recipe():
    return load_module('tools/benchmarks/recipe.py')


@pytest.fixture(scope='module')
def acc():
    return load_module('tools/benchmarks/accuracy_benchmark.py')


def merged(config, options):
    """The config after ``--cfg-options`` as tools/train.py merges them."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    updates = {}
    for option in options:
        key, _, value = option.partition('=')
        if value.startswith('['):
            value = [int(v) for v in value.strip('[]').split(',')]
        else:
            value = int(value)
        updates[key] = value
    cfg.merge_from_dict(updates)
    return cfg


def scaled(recipe, config, length):
    """The config after the options of a ``length``-epoch stage."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    return merged(config, recipe.recipe_options(cfg, length, config))


def test_stage_lengths(recipe):
    assert recipe.stage_lengths([True], 24) == [24]
    assert recipe.stage_lengths([True, True], 24) == [20, 4]
    assert recipe.stage_lengths([True, True], 12) == [10, 2]
    # tau-norm: CE, then a test-only stage.
    assert recipe.stage_lengths([True, False], 24) == [24, 0]
    with pytest.raises(ValueError, match='multiple of 6'):
        recipe.stage_lengths([True], 20)
    with pytest.raises(ValueError, match='one or two'):
        recipe.stage_lengths([True, True, True], 24)


def test_one_stage_cosine_keeps_its_warmup(recipe):
    config = 'configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py'
    cfg = scaled(recipe, config, 24)
    assert cfg.train_cfg.max_epochs == 24
    warmup, cosine = cfg.param_scheduler
    assert (warmup.begin, warmup.end) == (0, 1)
    assert (cosine.begin, cosine.end) == (1, 24)
    # The quick length asks for nothing.
    assert recipe.recipe_options(
        Config.fromfile(osp.join(ROOT, config)), 6, config) == []


def test_epoch_indices_keep_their_share(recipe):
    # Deferred re-weighting in the last sixth: epoch 5 of 6 -> 20 of 24.
    config = ('configs/ldam-drw/ldam-drw_resnet8_1xb128_'
              'fashion-mnist-lt-r100.py')
    cfg = scaled(recipe, config, 24)
    drw = [h for h in cfg.custom_hooks if h.type == 'DeferredReweightingHook']
    assert drw[0].drw_epoch == 20
    # The meta stage of CB-Meta: from epoch 4 of 6 -> 16 of 24, 13 of 20.
    config = ('configs/meta-reweight/meta-reweight-ce_resnet8_1xb128_'
              'fashion-mnist-lt-r100.py')
    for length, start in ((24, 16), (20, 13)):
        cfg = scaled(recipe, config, length)
        assert cfg.model.meta_start_epoch == start
    # cRT in one run: the switch and the cosine's restart move together.
    config = ('configs/decoupling/crt-onerun_resnet8_1xb128_'
              'fashion-mnist-lt-r100.py')
    cfg = scaled(recipe, config, 24)
    switch = [h for h in cfg.custom_hooks if h.type == 'DecoupledStageHook']
    assert switch[0].switch_epoch == 16
    restart = cfg.param_scheduler[1]
    assert restart.periods == [15, 8]
    assert restart.begin + sum(restart.periods) == restart.end == 24
    assert restart.begin + restart.periods[0] == switch[0].switch_epoch


def test_second_stage_stretches_from_zero(recipe):
    config = 'configs/decoupling/crt_resnet8_1xb128_fashion-mnist-lt-r100.py'
    cfg = scaled(recipe, config, 4)
    assert cfg.train_cfg.max_epochs == 4
    assert (cfg.param_scheduler[0].begin, cfg.param_scheduler[0].end) == (0, 4)
    switch = [h for h in cfg.custom_hooks if h.type == 'DecoupledStageHook']
    assert switch[0].switch_epoch == 0


def test_unknown_epoch_keys_are_refused(recipe):
    cfg = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=6),
            param_scheduler=[dict(type='MultiStepLR', milestones=[4])]))
    with pytest.raises(ValueError, match='MultiStepLR.*recipe.py'):
        recipe.recipe_options(cfg, 24, 'my_config.py')
    cfg = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=6),
            custom_hooks=[dict(type='MyHook', start_epoch=3)]))
    with pytest.raises(ValueError, match='MyHook.*start_epoch'):
        recipe.recipe_options(cfg, 24, 'my_config.py')
    cfg = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=6),
            model=dict(type='X', warm_epochs=2)))
    with pytest.raises(ValueError, match='model.warm_epochs'):
        recipe.recipe_options(cfg, 24, 'my_config.py')
    # Nested too: a loss's epoch index would silently keep its value.
    cfg = Config(
        dict(
            train_cfg=dict(by_epoch=True, max_epochs=6),
            model=dict(
                type='X', head=dict(loss=dict(type='L', start_epoch=2)))))
    with pytest.raises(ValueError, match='model.head.loss.start_epoch'):
        recipe.recipe_options(cfg, 24, 'my_config.py')


@pytest.mark.parametrize('epochs', [12, 24])
def test_every_method_gets_the_same_budget(acc, epochs):
    """All benchmark methods: the stages' epochs sum to the recipe's, the
    options merge, and every epoch index stays inside its stage."""
    for method, stages in acc.METHODS.items():
        record = acc.new_record(method, 0, stages, [], epochs)
        assert sum(s['epochs'] for s in record['stages']) == epochs, method
        for stage, state in zip(stages, record['stages']):
            if not stage.train:
                continue
            cfg = merged(stage.config, state['cfg_options'])
            length = cfg.train_cfg.max_epochs
            assert length == state['epochs'], (method, stage.config)
            for scheduler in cfg.param_scheduler:
                assert 0 <= scheduler.begin < scheduler.end <= length
            assert cfg.param_scheduler[-1].end == length, method
            for hook in cfg.custom_hooks:
                for key in ('drw_epoch', 'switch_epoch'):
                    if key in hook:
                        assert 0 <= hook[key] < length, (method, key)
            if 'meta_start_epoch' in cfg.model:
                assert 0 <= cfg.model.meta_start_epoch < length, method


def test_records_keep_the_recipe(acc):
    """A first stage shared by cRT and LWS is shorter than the CE model of
    one-stage CE and tau-norm, so they are trained apart."""
    ce = acc.new_record('CE', 0, acc.METHODS['CE'], [], 24)
    crt = acc.new_record('cRT', 0, acc.METHODS['cRT'], [], 24)
    lws = acc.new_record('LWS', 0, acc.METHODS['LWS'], [], 24)
    tau = acc.new_record('tau-norm', 0, acc.METHODS['tau-norm'], [], 24)
    key = acc.stage_key
    assert key(crt['stages'][0]) == key(lws['stages'][0])
    assert key(ce['stages'][0]) == key(tau['stages'][0])
    assert key(ce['stages'][0]) != key(crt['stages'][0])
    assert 'train_cfg.max_epochs=20' in crt['stages'][0]['cfg_options']
    # The quick recipe (no --epochs) is the configs' own: no options added.
    assert acc.new_record('CE', 0, acc.METHODS['CE'],
                          [])['stages'][0]['cfg_options'] == []
