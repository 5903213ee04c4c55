# Copyright (c) mmlt contributors. All rights reserved.
"""DecoupledStageHook on real runners with the generated Fashion-MNIST."""
import os.path as osp
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from test_tools.utils import (FMNIST_CE, ROOT, find_one, free_port, run_tool,
                              tiny_config)

import mmlt  # noqa: F401
from mmlt.engine.hooks import DecoupledStageHook
from mmlt.models.utils import is_frozen

DECOUPLING = osp.join(ROOT, 'configs', 'decoupling')
CRT = osp.join(DECOUPLING, 'crt_resnet8_1xb128_fashion-mnist-lt-r100.py')
LWS = osp.join(DECOUPLING, 'lws_resnet8_1xb128_fashion-mnist-lt-r100.py')
ONERUN = osp.join(DECOUPLING,
                  'crt-onerun_resnet8_1xb128_fashion-mnist-lt-r100.py')
SWITCH_HOOK = """
custom_hooks = _base_.custom_hooks + [
    dict(type='DecoupledStageHook', switch_epoch=2, reinit_head=True,
         loss=dict(type='LogitAdjustedLoss'),
         sampler=dict(type='ClassAwareSampler'))]
"""


def stage_config(tmp_path,
                 data_root,
                 base=FMNIST_CE,
                 name='cfg.py',
                 epochs=1,
                 extra=''):
    """``tiny_config`` (small data, short logs) on another base config."""
    path = tiny_config(tmp_path, data_root, name, extra=extra, epochs=epochs)
    with open(path) as f:
        text = f.read().replace(repr(FMNIST_CE), repr(base), 1)
    with open(path, 'w') as f:
        f.write(text)
    return path


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


def clone_state(module):
    # On the CPU, to compare with checkpoints also when training on a GPU.
    state = module.state_dict()
    return {k: v.detach().cpu().clone() for k, v in state.items()}


def backbone_of(state):
    keys = [k for k in state if k.startswith('backbone.')]
    # Weights and BN buffers (running mean/var, num_batches_tracked).
    assert any(k.endswith('running_var') for k in keys)
    assert any(k.endswith('num_batches_tracked') for k in keys)
    return {k: state[k] for k in keys}


def assert_equal_states(a, b):
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different


class Recorder(Hook):
    """What the model looks like at the first step of each epoch (after the
    loop's ``model.train()``) and at its end."""
    priority = 'LOWEST'

    def __init__(self):
        self.start, self.end = {}, {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx:
            return
        model = unwrap(runner.model)
        fc_weight = model.head.fc.weight
        self.start[runner.epoch] = dict(
            backbone_training=any(m.training
                                  for m in model.backbone.modules()),
            head_training=model.head.training,
            head=clone_state(model.head),
            loss=model.head.loss_module,
            sampler=type(runner.train_loop.dataloader.sampler).__name__,
            head_momentum=bool(
                runner.optim_wrapper.optimizer.state.get(fc_weight)),
            trainable=[
                n for n, p in model.named_parameters() if p.requires_grad
            ])

    def after_train_epoch(self, runner):
        self.end[runner.epoch] = clone_state(unwrap(runner.model))


def train(cfg_path, work_dir, **options):
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(work_dir)
    # Runners of one process must not share logger and message hub.
    cfg.experiment_name = uuid.uuid4().hex
    runner = Runner.from_cfg(cfg)
    recorder = Recorder()
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


@pytest.fixture(scope='module')
def onerun(tmp_path_factory, fmnist_root):
    """3 epochs, switching after 2, with a new loss and sampler."""
    tmp = tmp_path_factory.mktemp('onerun')
    cfg = stage_config(tmp, fmnist_root, epochs=3, extra=SWITCH_HOOK)
    runner, recorder = train(cfg, tmp / 'work')
    return cfg, tmp / 'work', runner, recorder


def test_switch_happens_at_switch_epoch(onerun):
    _, work, runner, rec = onerun
    # Before the switch: everything trains with CE and the default sampler.
    for epoch in (0, 1):
        assert rec.start[epoch]['backbone_training']
        assert type(rec.start[epoch]['loss']).__name__ == 'CrossEntropyLoss'
        assert rec.start[epoch]['sampler'] == 'DefaultSampler'
    assert rec.start[1]['head_momentum']
    # The backbone still trains in the epoch right before the switch.
    end0, end1 = backbone_of(rec.end[0]), backbone_of(rec.end[1])
    assert all(not torch.equal(end0[k], end1[k]) for k in end0
               if k.endswith(('weight', 'running_mean')))

    # From the switch on: the loop's model.train() left the backbone in
    # eval mode, and only the re-initialised head trains.
    after = rec.start[2]
    assert not after['backbone_training'] and after['head_training']
    assert after['trainable'] == ['head.fc.weight', 'head.fc.bias']
    assert after['head']['fc.bias'].eq(0).all()  # Normal init, bias 0
    assert not after['head_momentum']
    assert type(after['loss']).__name__ == 'LogitAdjustedLoss'
    assert after['loss'].has_class_counts  # from ClassCountsHook
    assert after['sampler'] == 'ClassAwareSampler'

    # The backbone (weights and BN buffers) is bit-identical across the
    # stage-two epoch; the head moved.
    assert_equal_states(backbone_of(rec.end[1]), backbone_of(rec.end[2]))
    assert not torch.equal(rec.end[1]['head.fc.weight'],
                           rec.end[2]['head.fc.weight'])
    assert not torch.equal(after['head']['fc.weight'],
                           rec.end[2]['head.fc.weight'])
    assert is_frozen(unwrap(runner.model).backbone)


@pytest.mark.parametrize('epoch', [3, 2])
def test_resume_reapplies_the_switch(onerun, tmp_path, epoch):
    cfg, work, _, _ = onerun
    ckpt = osp.join(work, f'epoch_{epoch}.pth')
    saved = torch.load(ckpt, map_location='cpu')['state_dict']
    runner, rec = train(
        cfg,
        tmp_path / 'resumed',
        resume=True,
        load_from=ckpt,
        **{'train_cfg.max_epochs': epoch + 1})
    start = rec.start[epoch]
    assert not start['backbone_training']
    assert start['sampler'] == 'ClassAwareSampler'
    assert type(start['loss']).__name__ == 'LogitAdjustedLoss'
    head = {
        k[len('head.'):]: v
        for k, v in saved.items() if k.startswith('head.fc')
    }
    if epoch == 3:
        # Resumed after the switch: the checkpoint's head, not a new one,
        # and the checkpoint's momentum.
        assert_equal_states(head, {k: start['head'][k] for k in head})
        assert start['head_momentum']
    else:
        # Resumed at the switch: the switch happens now, head re-initialised.
        assert start['head']['fc.bias'].eq(0).all()
        assert not start['head_momentum']
    assert_equal_states(
        backbone_of(saved) if epoch == 3 else backbone_of(
            torch.load(osp.join(work, 'epoch_2.pth'),
                       map_location='cpu')['state_dict']),
        backbone_of(rec.end[epoch]))


@pytest.fixture(scope='module')
def ce_checkpoint(tmp_path_factory, fmnist_root):
    tmp = tmp_path_factory.mktemp('ce')
    train(stage_config(tmp, fmnist_root), tmp / 'work')
    path = str(tmp / 'work' / 'epoch_1.pth')
    return path, torch.load(path, map_location='cpu')['state_dict']


def test_crt_config_freezes_the_loaded_backbone(ce_checkpoint, tmp_path,
                                                fmnist_root):
    ckpt, saved = ce_checkpoint
    cfg = stage_config(tmp_path, fmnist_root, base=CRT)
    runner, rec = train(cfg, tmp_path / 'work', load_from=ckpt)
    start = rec.start[0]
    assert not start['backbone_training']
    assert start['sampler'] == 'ClassAwareSampler'
    assert start['head']['fc.bias'].eq(0).all()
    final = rec.end[0]
    assert_equal_states(backbone_of(saved), backbone_of(final))
    assert not torch.equal(saved['head.fc.weight'], final['head.fc.weight'])


def test_lws_config_trains_only_the_scales(ce_checkpoint, tmp_path,
                                           fmnist_root):
    ckpt, saved = ce_checkpoint
    cfg = stage_config(tmp_path, fmnist_root, base=LWS)
    runner, rec = train(cfg, tmp_path / 'work', load_from=ckpt)
    assert rec.start[0]['trainable'] == ['head.scales']
    final = rec.end[0]
    assert_equal_states(backbone_of(saved), backbone_of(final))
    for key in ('head.fc.weight', 'head.fc.bias'):
        assert torch.equal(saved[key], final[key])
    assert not torch.equal(final['head.scales'], torch.ones(10))


def test_second_stage_without_checkpoint_fails(tmp_path, fmnist_root):
    cfg = stage_config(tmp_path, fmnist_root, base=CRT)
    with pytest.raises(RuntimeError, match='no checkpoint was loaded'):
        train(cfg, tmp_path / 'work')


def test_bad_arguments():
    with pytest.raises(ValueError, match='`switch_epoch`'):
        DecoupledStageHook(switch_epoch=-1)
    with pytest.raises(ValueError, match='`freeze`'):
        DecoupledStageHook(switch_epoch=1, freeze='backbone')
    with pytest.raises(KeyError, match='NoSuchSampler'):
        DecoupledStageHook(switch_epoch=1, sampler=dict(type='NoSuchSampler'))
    with pytest.raises(KeyError):
        DecoupledStageHook(switch_epoch=1, loss=dict(type='NoSuchLoss'))
    hook = DecoupledStageHook(switch_epoch=1, freeze=['backbone', 'nekc'])
    model = torch.nn.Module()
    model.backbone = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="'nekc'"):
        hook._freeze(model)


@pytest.mark.parametrize('bn_statistics', ['frozen', 'update'])
def test_ddp_two_processes_through_the_switch(tmp_path, fmnist_root,
                                              bn_statistics):
    # The one-run config, switching after epoch 1 of 2.
    cfg = stage_config(
        tmp_path,
        fmnist_root,
        base=ONERUN,
        epochs=2,
        extra="custom_hooks = _base_.custom_hooks\n"
        "custom_hooks[-1]['switch_epoch'] = 1\n"
        f"custom_hooks[-1]['bn_statistics'] = {bn_statistics!r}\n")
    work = str(tmp_path / 'work')
    env = dict(PYTHON=sys.executable, PORT=str(free_port()))
    run_tool(['bash', 'tools/dist_train.sh', cfg, '2', '--work-dir', work],
             env=env)
    log = open(find_one(work, '*.log')).read()
    assert 'Distributed training: True' in log
    assert 're-wrapped the model in MMDistributedDataParallel' in log
    assert f'(BN statistics {bn_statistics})' in log
    assert 'Epoch(train) [2][3/3]' in log
    before, after = (
        torch.load(osp.join(work, f'epoch_{e}.pth'),
                   map_location='cpu')['state_dict'] for e in (1, 2))
    if bn_statistics == 'frozen':
        assert_equal_states(backbone_of(before), backbone_of(after))
    else:
        assert_shifted_bn(backbone_of(before), backbone_of(after))
    assert not torch.equal(before['head.fc.weight'], after['head.fc.weight'])


BN_UPDATE = ("custom_hooks = _base_.custom_hooks\n"
             "custom_hooks[-1]['bn_statistics'] = 'update'\n")


def assert_shifted_bn(before, after):
    """Backbone weights (BN affine included) bit-identical, BN running
    statistics moved."""
    stats = ('running_mean', 'running_var', 'num_batches_tracked')
    weights = {k: v for k, v in before.items() if not k.endswith(stats)}
    assert any('conv' in k for k in weights)
    assert_equal_states(weights, {k: after[k] for k in weights})
    moved = [k for k in before if k.endswith(stats)]
    assert moved and all(not torch.equal(before[k], after[k]) for k in moved)


def test_crt_config_with_bn_statistics_update(ce_checkpoint, tmp_path,
                                              fmnist_root):
    ckpt, saved = ce_checkpoint
    cfg = stage_config(tmp_path, fmnist_root, base=CRT, extra=BN_UPDATE)
    runner, rec = train(cfg, tmp_path / 'work', load_from=ckpt)
    start = rec.start[0]
    # The loop's model.train() put the BN layers, and only them, in train
    # mode; the backbone's parameters still get no gradient.
    assert start['backbone_training']
    assert start['trainable'] == ['head.fc.weight', 'head.fc.bias']
    backbone = unwrap(runner.model).backbone
    assert is_frozen(backbone)
    assert_shifted_bn(backbone_of(saved), backbone_of(rec.end[0]))
    assert not torch.equal(saved['head.fc.weight'],
                           rec.end[0]['head.fc.weight'])


def test_switch_with_bn_statistics_update(tmp_path, fmnist_root):
    # The in-run switch, after epoch 1 of 2.
    cfg = stage_config(
        tmp_path,
        fmnist_root,
        base=ONERUN,
        epochs=2,
        extra=BN_UPDATE + "custom_hooks[-1]['switch_epoch'] = 1\n")
    runner, rec = train(cfg, tmp_path / 'work')
    assert rec.start[1]['backbone_training']
    assert rec.start[1]['trainable'] == ['head.fc.weight', 'head.fc.bias']
    assert_shifted_bn(backbone_of(rec.end[0]), backbone_of(rec.end[1]))


def test_bad_bn_statistics():
    with pytest.raises(ValueError, match='bn_statistics'):
        DecoupledStageHook(switch_epoch=0, bn_statistics='train')
