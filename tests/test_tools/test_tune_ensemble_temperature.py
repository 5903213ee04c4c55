# Copyright (c) mmlt contributors. All rights reserved.
"""tools/analysis/tune_ensemble_temperature.py: the search on a synthetic
validation set with a known optimum, and the tool on a tiny trained GML
ensemble stage."""
import itertools
import os.path as osp
import re
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from test_engine.test_hooks.test_decoupled_stage_hook import (stage_config,
                                                              train)
from utils import ROOT, load_module, read_json

import mmlt  # noqa: F401
from mmlt.evaluation.metrics import LongTailMetric
from mmlt.models.heads import EnsembleClsHead

TOOL = 'tools/analysis/tune_ensemble_temperature.py'
GML = osp.join(ROOT, 'configs', 'gml',
               'ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100.py')


def load_tool():
    return load_module(TOOL)


@pytest.fixture(scope='module')
def tool():
    return load_tool()


# Two classes, logits o_new = (0, dn) and o_old = (0, do). The ensemble
# predicts class 1 iff sigmoid(dn / t_new) + sigmoid(do / t_old) > 1, i.e.
# iff dn + r * do > 0 with r = t_new / t_old.
#: (label, dn, do) and the r for which the ensemble is right.
SAMPLES = [
    (1, -1.0, 0.6),  # r > 5/3
    (1, 3.0, -1.2),  # r < 2.5
    (0, -1.0, -1.0),  # always
    (0, -2.0, 0.5),  # r < 4
]
NEW_T, OLD_T = [0.5, 1.0, 2.0], [1.0, 3.0]  # six distinct ratios


def synthetic_head_and_batches():
    """A head whose new and old logits are the first and last two feature
    channels, and the validation set above in two batches."""
    head = EnsembleClsHead(2, 4)
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(4)[:2])
        head.fc.bias.zero_()
        head.old_fc.weight.copy_(torch.eye(4)[2:])
        head.old_fc.loaded.fill_(True)
    feats = torch.tensor([[0.0, dn, 0.0, do] for _, dn, do in SAMPLES])
    labels = [y for y, _, _ in SAMPLES]
    batches = [((feats[i:i + 2], ),
                [DataSample().set_gt_label(y) for y in labels[i:i + 2]])
               for i in (0, 2)]
    return head, batches


def np_top1(t_new, t_old):
    """The ensemble's accuracy, computed independently."""
    correct = 0
    for y, dn, do in SAMPLES:
        p_new = np.exp([0.0, dn / t_new])
        p_old = np.exp([0.0, do / t_old])
        p = p_new / p_new.sum() + p_old / p_old.sum()
        correct += int(np.argmax(p) == y)
    return 100.0 * correct / len(SAMPLES)


def test_finds_the_known_optimum(tool):
    head, batches = synthetic_head_and_batches()
    evaluator = Evaluator(LongTailMetric())
    results, best = tool.search_temperatures(head, batches, evaluator,
                                             len(SAMPLES), NEW_T, OLD_T,
                                             'long-tail/hmean_recall')
    # Only t_new / t_old = 2 classifies every sample correctly.
    assert (best['new_temperature'], best['old_temperature']) == (2.0, 1.0)
    assert best['metrics']['long-tail/hmean_recall'] == pytest.approx(100)
    assert best['metrics']['long-tail/lowest_recall'] == 100
    assert [(r['new_temperature'], r['old_temperature'])
            for r in results] == list(itertools.product(NEW_T, OLD_T))
    for res in results:
        assert res['metrics']['long-tail/top1'] == pytest.approx(
            np_top1(res['new_temperature'], res['old_temperature']))
    others = [r for r in results if r is not best]
    assert all(r['metrics']['long-tail/top1'] < 100 for r in others)


def test_ties_go_to_temperatures_near_one(tool):

    def res(t_new, t_old, value):
        return dict(
            new_temperature=t_new, old_temperature=t_old, metrics={'m': value})

    results = [
        res(4, 2, 5.0),
        res(2, 1, 5.0),
        res(1, 0.25, 5.0),
        res(1, 1, 4.0)
    ]
    assert tool.best_pair(results, 'm') is results[1]
    # Equally close to 1: the smaller t_new.
    results = [res(2, 1, 5.0), res(0.5, 1, 5.0)]
    assert tool.best_pair(results, 'm') is results[1]


def test_ties_go_to_the_configs_temperatures(tool):
    # LDAM's cosine classifier: the config's t_old is 1/30, and 1/32 is the
    # grid's closest to it.

    def res(t_new, t_old, value):
        return dict(
            new_temperature=t_new, old_temperature=t_old, metrics={'m': value})

    results = [res(1, 1, 5.0), res(1, 1 / 32, 5.0), res(32, 1, 5.0)]
    assert tool.best_pair(results, 'm', (1, 1 / 30)) is results[1]
    assert tool.best_pair(results, 'm', (1, 1)) is results[0]
    assert tool.best_pair(results, 'm', (30, 1)) is results[2]
    head, batches = synthetic_head_and_batches()
    _, best = tool.search_temperatures(head, batches,
                                       Evaluator(LongTailMetric()),
                                       len(SAMPLES), [2.0, 4.0], [1.0, 2.0],
                                       'long-tail/top1', (4.0, 2.0))
    # r = 2 (all right) at (2, 1) and (4, 2): the config's pair.
    assert (best['new_temperature'], best['old_temperature']) == (4.0, 2.0)


def test_unknown_metric(tool):
    head, batches = synthetic_head_and_batches()
    with pytest.raises(KeyError, match='long-tail/nope'):
        tool.search_temperatures(head, batches, Evaluator(LongTailMetric()),
                                 len(SAMPLES), [1.0], [1.0], 'long-tail/nope')


def unique_name():
    # Runners of one process must not share logger and message hub.
    return f'experiment_name={uuid.uuid4().hex}'


@pytest.fixture(scope='module')
def runs(tmp_path_factory, fmnist_root):
    """A CE model (1 epoch) and the GML ensemble stage on it (1 epoch)."""
    tmp = tmp_path_factory.mktemp('ens')
    train(stage_config(tmp, fmnist_root, name='ce.py'), tmp / 'ce')
    ce = str(tmp / 'ce' / 'epoch_1.pth')
    cfg = stage_config(tmp, fmnist_root, base=GML, name='ens.py')
    train(cfg, tmp / 'ens', load_from=ce)
    return tmp, cfg, ce, str(tmp / 'ens' / 'epoch_1.pth')


def test_tool_on_a_trained_ensemble(tool, runs, capsys):
    tmp, cfg, _, ckpt = runs
    tool.main([
        cfg, ckpt, '--new-temperatures', '0.5', '1', '--old-temperatures', '1',
        '4', '--work-dir',
        str(tmp / 'tune'), '--cfg-options',
        unique_name()
    ])
    out = capsys.readouterr().out
    rows = re.findall(r'^\| ([\d.]+) \| ([\d.]+)( \*)? \| ([\d.]+) \|', out,
                      re.M)
    assert [(r[0], r[1]) for r in rows] == [('0.5', '1'), ('0.5', '4'),
                                            ('1', '1'), ('1', '4')]
    result = read_json(osp.join(osp.dirname(ckpt), 'epoch_1_temperature.json'))
    assert result['head'] == 'EnsembleClsHead'
    assert result['metric'] == 'long-tail/hmean_recall'
    values = [
        r['metrics']['long-tail/hmean_recall'] for r in result['results']
    ]
    assert result['best_value'] == max(values)
    best = next(r for r in result['results']
                if (r['new_temperature'],
                    r['old_temperature']) == (result['best_new_temperature'],
                                              result['best_old_temperature']))
    assert rows[result['results'].index(best)][2] == ' *'

    # The test loop with those temperatures gives the same numbers: the
    # cached features are scored as the model scores images.
    test_cfg = Config.fromfile(cfg)
    test_cfg.merge_from_dict({
        'model.head.new_temperature': 0.5,
        'model.head.old_temperature': 4.0
    })
    test_cfg.work_dir = str(tmp / 'test')
    test_cfg.load_from = ckpt
    test_cfg.experiment_name = uuid.uuid4().hex
    metrics = Runner.from_cfg(test_cfg).test()
    assert metrics['long-tail/hmean_recall'] == pytest.approx(values[1])


def test_bad_input(tool, runs, fmnist_root):
    tmp, cfg, ce, ckpt = runs
    existing = str(tmp / 'exists.json')
    open(existing, 'w').close()
    with pytest.raises(FileExistsError, match='choose another --out'):
        tool.main([cfg, ckpt, '--out', existing])
    with pytest.raises(ValueError, match='--new-temperatures must be'):
        tool.main([cfg, ckpt, '--new-temperatures', '0'])
    with pytest.raises(ValueError, match='--old-temperatures must be'):
        tool.main([cfg, ckpt, '--old-temperatures', '1', '-2'])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.main([cfg, ckpt + '.missing'])
    # The CE checkpoint has no old classifier: it would ensemble with itself.
    with pytest.raises(ValueError, match='has no head.old_fc'):
        tool.main([
            cfg, ce, '--work-dir',
            str(tmp / 'ce-tune'), '--cfg-options',
            unique_name()
        ])
    plain = stage_config(tmp, fmnist_root, name='plain.py')
    with pytest.raises(TypeError, match='not an EnsembleClsHead'):
        tool.main([
            plain, ckpt, '--work-dir',
            str(tmp / 'plain'), '--cfg-options',
            unique_name()
        ])


def test_tool_on_the_dev_split(tool, runs, capsys):
    tmp, cfg, _, ckpt = runs
    out = str(tmp / 'dev.json')
    tool.main([
        cfg, ckpt, '--new-temperatures', '1', '2', '--old-temperatures', '1',
        '--dev-per-class', '3', '--dev-seed', '1', '--out', out, '--work-dir',
        str(tmp / 'dev'), '--cfg-options',
        unique_name(), 'train_dataloader.dataset.dev_per_class=3',
        'train_dataloader.dataset.dev_seed=1'
    ])
    printed = capsys.readouterr().out
    assert ('on the development split (3 images per class of the training '
            'pool, dev_seed 1)') in printed and '(30 images)' in printed
    result = read_json(out)
    assert (result['split'], result['dev_per_class'], result['dev_seed'],
            result['size']) == ('dev', 3, 1, 30)
    assert (result['default_new_temperature'],
            result['default_old_temperature']) == (1.0, 1.0)
    assert len(result['results']) == 2
    # The training set of the config must set those images aside.
    with pytest.raises(ValueError, match='saw the development images'):
        tool.main([
            cfg, ckpt, '--dev-per-class', '3', '--dev-seed', '1', '--out',
            str(tmp / 'refused.json'), '--work-dir',
            str(tmp / 'refused'), '--cfg-options',
            unique_name()
        ])
