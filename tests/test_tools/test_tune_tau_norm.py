# Copyright (c) mmlt contributors. All rights reserved.
"""tools/analysis/tune_tau_norm.py on a tiny trained CE checkpoint."""
import os.path as osp
import re
import uuid

import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from utils import find_one, load_module, read_json, run_tool, tiny_config

import mmlt  # noqa: F401

TOOL = 'tools/analysis/tune_tau_norm.py'


def load_tool():
    return load_module(TOOL)


def unique_name():
    # Runners of one process must not share logger and message hub.
    return f'experiment_name={uuid.uuid4().hex}'


@pytest.fixture(scope='module')
def ce_run(tmp_path_factory, fmnist_root):
    """A CE model trained for one epoch, in this process."""
    tmp = tmp_path_factory.mktemp('tau')
    cfg = Config.fromfile(tiny_config(tmp, fmnist_root, epochs=1))
    cfg.work_dir = str(tmp / 'work')
    cfg.experiment_name = uuid.uuid4().hex
    Runner.from_cfg(cfg).train()
    return tmp, osp.join(cfg.work_dir, 'epoch_1.pth')


def head_config(tmp, fmnist_root, head):
    return tiny_config(
        tmp,
        fmnist_root,
        name=f'{head}.py',
        extra=f"model = dict(head=dict(type='{head}'))")


def test_tau_norm_table_and_json(ce_run, fmnist_root):
    tmp, ckpt = ce_run
    cfg = head_config(tmp, fmnist_root, 'TauNormHead')
    args = [
        TOOL, cfg, ckpt, '--taus', '0', '0.5', '1', '--work-dir',
        str(tmp / 'tune')
    ]
    out = run_tool(args).stdout
    rows = re.findall(r'^\| (\d[\d.]*)( \*)? \| ([\d.]+) \|', out, re.M)
    assert [r[0] for r in rows] == ['0', '0.5', '1']
    result = read_json(osp.join(osp.dirname(ckpt), 'epoch_1_tau.json'))
    assert result['head'] == 'TauNormHead'
    assert result['metric'] == 'long-tail/top1'
    assert [r['tau'] for r in result['results']] == [0, 0.5, 1]
    top1 = [r['metrics']['long-tail/top1'] for r in result['results']]
    assert [float(r[2]) for r in rows] == pytest.approx(top1, abs=0.006)
    # Ties go to the tau closest to the config's (TauNormHead's 1.0).
    assert result['default_tau'] == 1.0 and result['split'] == 'val'
    best = max(range(3), key=lambda i: (top1[i], i))
    assert result['best_tau'] == [0, 0.5, 1][best]
    assert rows[best][1] == ' *'
    assert f'Best tau: {result["best_tau"]:g}' in out

    # The test loop with the same tau gives the same top-1: the cached
    # features are scored as the model scores images.
    test_cfg = Config.fromfile(cfg)
    test_cfg.merge_from_dict({'model.head.tau': 0.5})
    test_cfg.work_dir = str(tmp / 'test')
    test_cfg.load_from = ckpt
    test_cfg.experiment_name = uuid.uuid4().hex
    metrics = Runner.from_cfg(test_cfg).test()
    assert metrics['long-tail/top1'] == pytest.approx(top1[1])
    assert read_json(
        find_one(test_cfg.work_dir, 'per_class',
                 'test.json'))['metrics']['top1'] == pytest.approx(top1[1])

    # A second run does not overwrite the first JSON.
    load_tool().main([
        cfg, ckpt, '--work-dir',
        str(tmp / 'tune2'), '--metric', 'long-tail/few', '--taus', '0', '1',
        '--cfg-options',
        unique_name()
    ])
    second = read_json(osp.join(osp.dirname(ckpt), 'epoch_1_tau_1.json'))
    assert second['metric'] == 'long-tail/few'
    first = read_json(osp.join(osp.dirname(ckpt), 'epoch_1_tau.json'))
    assert first['metric'] == 'long-tail/top1'


def test_logit_adjusted_head(ce_run, fmnist_root, capsys):
    tmp, ckpt = ce_run
    cfg = head_config(tmp, fmnist_root, 'LogitAdjustedLinearClsHead')
    out = str(tmp / 'la.json')
    load_tool().main([
        cfg, ckpt, '--taus', '0', '1', '--out', out, '--work-dir',
        str(tmp / 'la'), '--cfg-options',
        unique_name()
    ])
    assert 'LogitAdjustedLinearClsHead' in capsys.readouterr().out
    result = read_json(out)
    assert result['head'] == 'LogitAdjustedLinearClsHead'
    # tau=0 is the plain model, tau=1 the balanced-error correction; on the
    # tiny model they differ in the few-shot classes at least.
    assert len(result['results']) == 2


def test_bad_input(ce_run, fmnist_root):
    tmp, ckpt = ce_run
    tool = load_tool()
    cfg = head_config(tmp, fmnist_root, 'TauNormHead')
    existing = str(tmp / 'exists.json')
    open(existing, 'w').close()
    with pytest.raises(FileExistsError, match='choose another --out'):
        tool.main([cfg, ckpt, '--out', existing])
    with pytest.raises(ValueError, match='--taus must be >= 0'):
        tool.main([cfg, ckpt, '--taus', '-1'])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.main([cfg, ckpt + '.missing'])
    plain = tiny_config(tmp, fmnist_root, name='plain.py')
    with pytest.raises(TypeError, match='LinearClsHead has no `tau`'):
        tool.main([
            plain, ckpt, '--work-dir',
            str(tmp / 'plain'), '--cfg-options',
            unique_name()
        ])
    with pytest.raises(KeyError, match='long-tail/nope'):
        tool.main([
            cfg, ckpt, '--metric', 'long-tail/nope', '--work-dir',
            str(tmp / 'nope'), '--cfg-options',
            unique_name()
        ])


def test_ties_go_to_the_configs_tau():
    tool = load_tool()

    def res(tau, value):
        return dict(tau=tau, metrics={'m': value})

    results = [res(0.25, 5.0), res(0.75, 5.0), res(1.0, 4.0), res(1.5, 5.0)]
    assert tool.best_tau(results, 'm', default=1.0) is results[1]
    assert tool.best_tau(results, 'm', default=1.3) is results[3]
    # Equally close: the smaller; no default: the smaller.
    assert tool.best_tau(results, 'm', default=0.5) is results[0]
    assert tool.best_tau(results, 'm') is results[0]
    # A better value wins whatever the default.
    results.append(res(0.0, 6.0))
    assert tool.best_tau(results, 'm', default=1.0) is results[-1]


def dev_images(fmnist_root, dev_per_class, dev_seed):
    """The development split written out by hand (not with dev_split.py):
    the LongTailDataset of the training files, loaded as the test set."""
    return dict(
        type='LongTailDataset',
        split='dev',
        dev_per_class=dev_per_class,
        dev_seed=dev_seed,
        dataset=dict(
            type='FashionMNIST',
            data_root=fmnist_root,
            test_mode=False,
            pipeline=[dict(type='ToGrayscale'),
                      dict(type='PackInputs')]))


def test_dev_split(ce_run, fmnist_root, capsys):
    tmp, ckpt = ce_run
    cfg = head_config(tmp, fmnist_root, 'TauNormHead')
    out = str(tmp / 'dev.json')
    aside = [
        'train_dataloader.dataset.dev_per_class=4',
        'train_dataloader.dataset.dev_seed=2'
    ]
    load_tool().main([
        cfg, ckpt, '--taus', '0', '1', '--dev-per-class', '4', '--dev-seed',
        '2', '--out', out, '--work-dir',
        str(tmp / 'dev'), '--cfg-options',
        unique_name(), *aside
    ])
    printed = capsys.readouterr().out
    assert ('on the development split (4 images per class of the training '
            'pool, dev_seed 2)') in printed and '(40 images)' in printed
    result = read_json(out)
    assert (result['split'], result['dev_per_class'], result['dev_seed'],
            result['size']) == ('dev', 4, 2, 40)

    # Its numbers are those of the test loop on those 40 training-pool
    # images, not on the test set.
    for tau, row in zip((0, 1), result['results']):
        test_cfg = Config.fromfile(cfg)
        test_cfg.merge_from_dict({'model.head.tau': tau})
        test_cfg.test_dataloader.dataset = dev_images(fmnist_root, 4, 2)
        test_cfg.work_dir = str(tmp / f'dev-test{tau}')
        test_cfg.load_from = ckpt
        test_cfg.experiment_name = uuid.uuid4().hex
        metrics = Runner.from_cfg(test_cfg).test()
        assert row['metrics']['long-tail/top1'] == pytest.approx(
            metrics['long-tail/top1'])
        assert row['metrics']['long-tail/hmean_recall'] == pytest.approx(
            metrics['long-tail/hmean_recall'])

    # A config whose training set does not set the split aside is refused:
    # its model saw those images.
    with pytest.raises(ValueError, match='saw the development images'):
        load_tool().main([
            cfg, ckpt, '--dev-per-class', '4', '--dev-seed', '2', '--out',
            str(tmp / 'refused.json'), '--work-dir',
            str(tmp / 'refused'), '--cfg-options',
            unique_name()
        ])
