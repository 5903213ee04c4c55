# Copyright (c) mmlt contributors. All rights reserved.
"""MetaReweightClassifier and its meta step (Jamal et al., CVPR 2020).

The look-ahead against a manual SGD step on a copy, the epsilon gradient
(both ways of computing its gradient products) against finite differences
in epsilon and against per-sample gradients, the stages
against ordinary ImageClassifiers, and 2 gloo ranks against one process.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from dist_utils import run_distributed
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmlt  # noqa: F401
from mmlt.models.classifiers import (MetaReweightClassifier, epsilon_gradient,
                                     look_ahead, meta_sample_weights)
from mmlt.models.classifiers.meta_reweight import (loss_central_difference,
                                                   loss_directional_derivative)

COUNTS = [8, 4, 2]
BETA = 0.99


def np_cb_weights(counts, beta):
    w = (1 - beta) / (1 - np.power(beta, np.asarray(counts, float)))
    return w * len(counts) / w.sum()


def model_cfg(kind='MetaReweightClassifier',
              backbone='resnet',
              loss=None,
              **kwargs):
    if backbone == 'resnet':  # BatchNorm inside
        bb = dict(type='CifarResNet', depth=8, in_channels=1)
        channels = 64
    else:  # LeNet-5: no BatchNorm, so 2 ranks can match 1 exactly
        bb = dict(type='LeNet5', num_classes=-1)
        channels = 120
    cfg = dict(
        type=kind,
        backbone=bb,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=channels,
            loss=loss or dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=3))
    if kind == 'MetaReweightClassifier':
        cfg.update(meta_lr=1.0, beta=BETA, class_counts=COUNTS)
    cfg.update(kwargs)
    return cfg


def build(seed=0, dtype=torch.float32, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg(**kwargs))
    model.init_weights()
    return model.to(dtype).train()


def batch(n, seed, size=8):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 1, size, size, generator=g)
    labels = torch.randint(0, 3, (n, ), generator=g)
    labels[:3] = torch.arange(3)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return dict(inputs=inputs, data_samples=samples)


def preprocessed(model, data):
    out = model.data_preprocessor(data, False)
    return out['inputs'].to(next(model.parameters()).dtype), \
        out['data_samples']


def train_losses(model, data):
    inputs, samples = preprocessed(model, data)
    target = torch.cat([s.gt_label for s in samples])
    losses = model.per_sample_loss(model(inputs, mode='tensor'), target)
    return losses, target


def params_of(model):
    return {n: p for n, p in model.named_parameters() if p.requires_grad}


# ------------------------------------------------------------ look-ahead --


def test_look_ahead_equals_manual_sgd_step():
    model = build(dtype=torch.float64)
    data, dev = batch(6, 1), batch(6, 2)
    eta = 0.3
    copy_model = copy.deepcopy(model)
    losses, target = train_losses(model, data)
    w = model.sample_class_weight(target, losses)
    params = params_of(model)
    grads = torch.autograd.grad((w * losses).mean(), list(params.values()))
    new = look_ahead(params, grads, eta)
    # The manual step on a copy: SGD without momentum on the same loss.
    optim = torch.optim.SGD(copy_model.parameters(), lr=eta)
    c_losses, c_target = train_losses(copy_model, data)
    (copy_model.sample_class_weight(c_target, c_losses) *
     c_losses).mean().backward()
    optim.step()
    for name, p in copy_model.named_parameters():
        torch.testing.assert_close(new[name], p.detach())
    # The functional development loss is the copy's, and leaves the
    # running statistics alone.
    stats = {n: b.clone() for n, b in model.named_buffers()}
    dev_inputs, dev_samples = preprocessed(model, dev)
    dev_target = torch.cat([s.gt_label for s in dev_samples])
    got = model.functional_loss(new, dev_inputs, dev_target).mean()
    want = F.cross_entropy(copy_model(dev_inputs, mode='tensor'), dev_target)
    torch.testing.assert_close(got, want)
    for n, b in model.named_buffers():
        torch.testing.assert_close(b, stats[n])


def meta_eps_grad(model, data, dev, eta, method='forward_ad', step=1e-2):
    """epsilon_gradient on the model's training and development batch."""
    losses, target = train_losses(model, data)
    inputs, _ = preprocessed(model, data)
    dev_inputs, dev_samples = preprocessed(model, dev)
    dev_target = torch.cat([s.gt_label for s in dev_samples])
    return epsilon_gradient(
        losses, model.sample_class_weight(target, losses), params_of(model),
        lambda p: model.functional_loss(p, inputs, target),
        lambda p: model.functional_loss(p, dev_inputs, dev_target).mean(), eta,
        method, step)


def _dev_after_step(model, data, dev, weights, eta):
    """Development loss after one manual SGD step with sample weights."""
    m = copy.deepcopy(model)
    losses, _ = train_losses(m, data)
    grads = torch.autograd.grad((weights * losses).mean(),
                                list(m.parameters()))
    with torch.no_grad():
        for p, g in zip(m.parameters(), grads):
            p -= eta * g
    dev_losses, _ = train_losses(m, dev)
    return dev_losses.mean()


LOSSES = [
    None,  # cross-entropy
    dict(type='SoftmaxFocalLoss', gamma=2.0),
    dict(type='LDAMLoss', max_m=0.5, s=30.0, class_counts=COUNTS),
]

# The central difference in parameter space with a tiny step: in float64
# its error is far below the tolerance, so both ways must be exact here.
METHODS = [('forward_ad', 1e-2), ('central_difference', 1e-6)]


@pytest.mark.parametrize('method, step', METHODS, ids=[m for m, _ in METHODS])
@pytest.mark.parametrize('loss', LOSSES, ids=['ce', 'focal', 'ldam'])
def test_eps_gradient_matches_finite_differences_float64(loss, method, step):
    model = build(dtype=torch.float64, loss=loss)
    data, dev = batch(5, 3), batch(4, 4)
    eta = 0.5
    losses, target = train_losses(model, data)
    w = model.sample_class_weight(target, losses)
    got = meta_eps_grad(model, data, dev, eta, method, step)
    h = 1e-5
    fd = torch.zeros(5, dtype=torch.float64)
    for i in range(5):
        e = torch.zeros(5, dtype=torch.float64)
        e[i] = h
        fd[i] = (_dev_after_step(model, data, dev,
                                 w.detach() + e, eta) -
                 _dev_after_step(model, data, dev,
                                 w.detach() - e, eta)) / (2 * h)
    torch.testing.assert_close(got, fd, rtol=1e-5, atol=1e-9)
    assert got.abs().max() > 1e-4  # not trivially zero


def test_eps_gradient_is_minus_eta_over_n_times_gradient_products():
    # d dev(theta - eta/N sum (w+eps) grad L_i) / d eps_i
    #   = -eta / N * grad dev(theta~) . grad L_i(theta), per-sample grads.
    model = build(dtype=torch.float64, backbone='lenet')
    data, dev = batch(4, 5, size=32), batch(4, 6, size=32)
    eta = 0.2
    losses, target = train_losses(model, data)
    w = model.sample_class_weight(target, losses)
    dev_inputs, dev_samples = preprocessed(model, dev)
    got = meta_eps_grad(model, data, dev, eta, 'forward_ad')
    m = copy.deepcopy(model)
    per_sample = []
    for i in range(4):
        li, _ = train_losses(m, data)
        per_sample.append(
            torch.cat([
                g.reshape(-1)
                for g in torch.autograd.grad(li[i], list(m.parameters()))
            ]))
    per_sample = torch.stack(per_sample)
    with torch.no_grad():
        step = (w.detach()[:, None] * per_sample).mean(0)
        offset = 0
        for p in m.parameters():
            p -= eta * step[offset:offset + p.numel()].view_as(p)
            offset += p.numel()
    dev_loss = F.cross_entropy(
        m(dev_inputs, mode='tensor'),
        torch.cat([s.gt_label for s in dev_samples]))
    dev_grad = torch.cat([
        g.reshape(-1)
        for g in torch.autograd.grad(dev_loss, list(m.parameters()))
    ])
    torch.testing.assert_close(got, -eta / 4 * per_sample @ dev_grad)


def test_central_difference_is_exact_for_quadratic_losses():
    # L_i = (a_i . theta)^2 / 2: the central difference equals
    # (a_i . theta)(a_i . v) for every step.
    rng = np.random.default_rng(0)
    a, theta, v = rng.normal(size=(4,
                                   6)), rng.normal(size=6), rng.normal(size=6)
    params = dict(theta=torch.from_numpy(theta))

    def loss_fn(p):
        return 0.5 * (torch.from_numpy(a) @ p['theta'])**2

    want = (a @ theta) * (a @ v)
    for step in (1e-3, 1.0, 10.0):
        got = loss_central_difference(loss_fn, params, [torch.from_numpy(v)],
                                      step)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-9)
    # No direction: no products, and no division by a zero step.
    zero = loss_central_difference(loss_fn, params,
                                   [torch.zeros(6, dtype=torch.float64)])
    assert zero.eq(0).all()
    with pytest.raises(ValueError, match='step'):
        loss_central_difference(loss_fn, params, [torch.from_numpy(v)], 0.0)


def test_central_difference_at_its_default_step_is_close_in_float32():
    # What the default trades for its speed, on a float32 ResNet with
    # BatchNorm (ReLU kinks, batch statistics): well under 1e-3 of the
    # exact products.
    model = build()
    data, dev = batch(16, 7), batch(12, 8)
    losses, target = train_losses(model, data)
    inputs, _ = preprocessed(model, data)
    dev_inputs, dev_samples = preprocessed(model, dev)
    dev_target = torch.cat([s.gt_label for s in dev_samples])
    params = params_of(model)
    v = torch.autograd.grad(
        model.functional_loss(params, dev_inputs, dev_target).mean(),
        list(params.values()))

    def loss_fn(p):
        return model.functional_loss(p, inputs, target)

    exact = loss_directional_derivative(loss_fn, params, v)
    approx = loss_central_difference(loss_fn, params, v)
    assert exact.abs().max() > 1e-3
    assert (approx - exact).norm() / exact.norm() < 1e-3


def test_sample_weights_against_numpy():
    g = torch.tensor([0.5, -2.0, 1.0, -1.0])
    w = torch.tensor([0.4, 1.2, 0.4, 2.0])
    torch.testing.assert_close(
        meta_sample_weights(g, w, 0.1, 'class_balanced'),
        torch.tensor([0.35, 1.4, 0.3, 2.1]))
    # L2RW: max(-g, 0) / sum, times N (the loss is then averaged).
    clipped = np.maximum(-g.numpy(), 0)
    torch.testing.assert_close(
        meta_sample_weights(g, w, 0.1, 'l2rw'),
        torch.from_numpy(clipped / clipped.sum() * 4))
    assert meta_sample_weights(g.abs(), w, 1., 'l2rw').eq(0).all()
    torch.testing.assert_close(
        meta_sample_weights(g, w, 0.0, 'class_balanced'), w)


# ------------------------------------------------------------- training --


def take_steps(model, batches, dev_batches=None, lr=0.1, epoch=0):
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    for i, data in enumerate(batches):
        if isinstance(model, MetaReweightClassifier):
            model.set_meta_inputs(epoch, lr,
                                  dev_batches[i] if dev_batches else None)
        model.train_step(copy.deepcopy(data), optim)
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def assert_same(a, b, **tol):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], **tol)


def test_before_meta_stage_is_plain_training():
    batches = [batch(8, s) for s in range(3)]
    meta = build(meta_start_epoch=2)
    plain = build(kind='ImageClassifier')
    plain.load_state_dict(meta.state_dict(), strict=False)
    assert_same(
        take_steps(meta, batches, epoch=1),
        take_steps(plain, batches),
        rtol=0,
        atol=0)


def test_class_balanced_pretrain_is_class_balanced_training():
    batches = [batch(8, s) for s in range(3)]
    meta = build(meta_start_epoch=2, class_balanced_pretrain=True)
    torch.testing.assert_close(
        meta.cb_weight,
        torch.tensor(np_cb_weights(COUNTS, BETA), dtype=torch.float32))
    cb = build(
        kind='ImageClassifier',
        loss=dict(type='ClassBalancedLoss', beta=BETA, class_counts=COUNTS))
    cb.load_state_dict(meta.state_dict(), strict=False)
    assert_same(take_steps(meta, batches, epoch=1), take_steps(cb, batches))


def test_zero_meta_lr_is_class_balanced_training():
    batches = [batch(8, s) for s in range(3)]
    devs = [batch(6, 10 + s) for s in range(3)]
    cb = build(
        kind='ImageClassifier',
        loss=dict(type='ClassBalancedLoss', beta=BETA, class_counts=COUNTS))
    cb_params = take_steps(cb, batches)
    meta = build()
    meta.meta_lr = 0.0
    assert_same(take_steps(meta, batches, devs), cb_params)
    # tau = 0 in the config: no meta step, no development batch needed.
    meta = build(meta_lr=0.0)
    assert not meta.needs_dev_batch(0)
    assert_same(take_steps(meta, batches), cb_params)
    assert meta.meta_record['eps'].eq(0).all()
    # With tau > 0 the meta step changes the update.
    meta = build()
    meta.meta_lr = 5.0
    moved = take_steps(meta, batches, devs)
    assert any(not torch.allclose(moved[k], cb_params[k], atol=1e-5)
               for k in moved)


# ------------------------------------------------------------ 2 ranks ----

VARIANTS = ('class_balanced', 'l2rw')


def _global_batches():
    train = [batch(8, 20 + s, size=32) for s in range(2)]
    dev = [batch(6, 30 + s, size=32) for s in range(2)]
    return train, dev


def _shard(data, rank, world_size):
    n = data['inputs'].size(0) // world_size
    sl = slice(rank * n, (rank + 1) * n)
    return dict(
        inputs=data['inputs'][sl], data_samples=data['data_samples'][sl])


def _meta_steps(variant, rank=0, world_size=1, meta_lr=20.0):
    """Two meta steps of LeNet-5 (SGD with momentum), DDP-wrapped on
    several ranks, each rank holding its shard of the global batches."""
    torch.manual_seed(0)
    model = build(backbone='lenet', variant=variant, meta_lr=meta_lr)
    wrapped = model if world_size == 1 else MMDistributedDataParallel(
        module=model)
    optim = OptimWrapper(
        torch.optim.SGD(wrapped.parameters(), lr=0.5, momentum=0.9))
    for data, dev in zip(*_global_batches()):
        model.set_meta_inputs(0, 0.5, _shard(dev, rank, world_size))
        wrapped.train_step(_shard(data, rank, world_size), optim)
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _ddp_steps(rank, world_size):
    return {v: _meta_steps(v, rank, world_size) for v in VARIANTS}


def test_two_ranks_apply_the_single_process_update():
    ranks = run_distributed(_ddp_steps, 2)
    for variant in VARIANTS:
        want = _meta_steps(variant)
        for got in ranks:
            assert_same(got[variant], want, rtol=1e-4, atol=1e-5)
    # The epsilon step is visible at this tolerance: with tau ~ 0 (plain
    # class-balanced steps) the parameters land elsewhere.
    cb = _meta_steps('class_balanced', meta_lr=1e-12)
    want = _meta_steps('class_balanced')
    assert max((want[k] - cb[k]).abs().max() for k in want) > 1e-3


# ------------------------------------------------------------ bad input --


@pytest.mark.parametrize('kwargs, match', [
    (dict(meta_lr=-1.0), 'meta_lr'),
    (dict(lookahead_reduction='max'), 'lookahead_reduction'),
    (dict(variant='mwn'), 'variant'),
    (dict(meta_start_epoch=-1), 'meta_start_epoch'),
    (dict(variant='l2rw', class_balanced_pretrain=True), 'L2RW'),
    (dict(beta=1.0), 'beta'),
    (dict(directional_derivative='reverse'), 'directional_derivative'),
    (dict(difference_step=0.0), 'difference_step'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_training_without_the_hook_fails_clearly():
    model = build()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='MetaReweightHook'):
        model.train_step(batch(4, 0), optim)
    model.set_meta_inputs(0)  # meta stage, but no development batch
    with pytest.raises(RuntimeError, match='development batch'):
        model.train_step(batch(4, 0), optim)


def test_needs_class_counts():
    model = build(class_counts=None)
    model.set_meta_inputs(0, 0.1, batch(4, 1))
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='class_counts'):
        model.train_step(batch(4, 0), optim)
