# Copyright (c) mmlt contributors. All rights reserved.
"""The meta step's functions (mmlt/models/classifiers/meta_reweight.py):
the epsilon step in the authors' summed units against an independent
autograd implementation of their code, full precision under autocast, and
devices (fake CUDA tensors) when the development gradient is zero."""
import copy

import pytest
import torch
from test_meta_reweight_classifier import (batch, build, params_of,
                                           preprocessed, train_losses)
from torch._subclasses import FakeTensorMode

import mmlt  # noqa: F401
from mmlt.models.classifiers import epsilon_gradient, meta_sample_weights
from mmlt.models.classifiers.meta_reweight import (loss_central_difference,
                                                   loss_directional_derivative)

AUTHORS_STEP = 0.01  # the epsilon step of the authors' CIFAR code


def closures(model, data, dev):
    inputs, samples = preprocessed(model, data)
    target = torch.cat([s.gt_label for s in samples])
    dev_inputs, dev_samples = preprocessed(model, dev)
    dev_target = torch.cat([s.gt_label for s in dev_samples])
    return (lambda p: model.functional_loss(p, inputs, target),
            lambda p: model.functional_loss(p, dev_inputs, dev_target).mean())


def authors_eps(model, data, dev, eta, step=AUTHORS_STEP):
    """Their code, written out: eps a leaf at 0, the look-ahead loss summed
    over the batch, a differentiable SGD step at lr eta, the mean
    development loss, one step of eps."""
    m = copy.deepcopy(model)
    losses, target = train_losses(m, data)
    w = m.sample_class_weight(target, losses).detach()
    loss_fn, dev_loss_fn = closures(m, data, dev)
    params = params_of(m)
    eps = torch.zeros_like(w, requires_grad=True)
    grads = torch.autograd.grad(
        ((w + eps) * loss_fn(params)).sum(),
        list(params.values()),
        create_graph=True)
    new = {n: p - eta * g for (n, p), g in zip(params.items(), grads)}
    grad_eps, = torch.autograd.grad(dev_loss_fn(new), eps)
    return -step * grad_eps


def mmlt_eps(model, data, dev, eta, tau, reduction, method='forward_ad'):
    losses, target = train_losses(model, data)
    w = model.sample_class_weight(target, losses)
    loss_fn, dev_loss_fn = closures(model, data, dev)
    options = {} if reduction == 'mean' else dict(
        lookahead_reduction=reduction)
    g = epsilon_gradient(losses, w, params_of(model), loss_fn, dev_loss_fn,
                         eta, method, **options)
    return meta_sample_weights(g, w, tau) - w.detach()


@pytest.mark.parametrize('eta', [0.05, 1e-3])
def test_authors_step_in_their_units(eta):
    # lookahead_reduction='sum' with meta_lr=0.01 is their step, exactly.
    model = build(dtype=torch.float64)
    data, dev = batch(6, 3), batch(5, 4)
    want = authors_eps(model, data, dev, eta)
    assert want.abs().max() > 0
    torch.testing.assert_close(
        mmlt_eps(model, data, dev, eta, AUTHORS_STEP, 'sum'), want)
    # The mapping: the mean form with the look-ahead lr |B| eta and the
    # same tau gives the same look-ahead and the same step, exactly.
    n = 6
    torch.testing.assert_close(
        mmlt_eps(model, data, dev, eta * n, AUTHORS_STEP, 'mean'), want)


def test_authors_step_on_the_mean_is_tau_times_batch_to_first_order():
    # At the same lr the mean form with tau = 0.01 |B| differs from the
    # authors' step only through the look-ahead point (|B| times closer to
    # theta): the gap vanishes with eta, linearly.
    model = build(dtype=torch.float64)
    data, dev = batch(6, 3), batch(5, 4)
    gaps = []
    for eta in (1e-3, 1e-4, 1e-5):
        want = authors_eps(model, data, dev, eta)
        got = mmlt_eps(model, data, dev, eta, AUTHORS_STEP * 6, 'mean')
        gaps.append(float((got - want).norm() / want.norm()))
    assert gaps[2] < 3e-3, gaps
    assert gaps[0] > gaps[1] > gaps[2], gaps
    assert 5 < gaps[1] / gaps[2] < 20, gaps  # first order in eta


def test_bad_reduction():
    model = build(dtype=torch.float64)
    with pytest.raises(ValueError, match='lookahead_reduction'):
        mmlt_eps(model, batch(4, 0), batch(4, 1), 0.1, 1.0, 'max')
    with pytest.raises(ValueError, match='lookahead_reduction'):
        build(lookahead_reduction='max')


# ------------------------------------------------------------ precision --


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
@pytest.mark.parametrize('method', ['central_difference', 'forward_ad'])
def test_epsilon_under_bf16_autocast_matches_float32(method, reduction):
    # ResNet-8 with BatchNorm, float32 parameters. Under CPU autocast
    # (bf16) the training losses come from an autocast forward, as in
    # AmpOptimWrapper; the meta step must still give the float32 epsilon
    # gradient (the look-ahead and products at full precision): within
    # 1e-4 relative, where bf16 (8 significant bits) errs by percents.
    model = build()
    data, dev = batch(16, 7), batch(12, 8)
    eta = 0.1 if reduction == 'mean' else 0.1 / 16
    want = mmlt_eps(model, data, dev, eta, 1.0, reduction, method)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = mmlt_eps(model, data, dev, eta, 1.0, reduction, method)
    assert got.dtype == torch.float32
    assert torch.isfinite(got).all()
    assert want.abs().max() > 0
    assert float((got - want).norm() / want.norm()) < 1e-4


def test_meta_step_under_bf16_autocast_matches_float32():
    # The classifier's whole step: the weights w_y + eps of an autocast
    # forward are float32 and those of a float32 step.
    def step(autocast):
        model = build(meta_lr=50.0)
        model.set_meta_inputs(0, 0.1, batch(12, 8))
        data = model.data_preprocessor(batch(16, 7), True)
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            out = model.loss(data['inputs'], data['data_samples'])
        return model.meta_record, out

    want, _ = step(False)
    got, out = step(True)
    assert got['weight'].dtype == torch.float32
    assert torch.isfinite(out['loss'])
    assert want['eps'].abs().max() > 1e-3
    assert float((got['eps'] - want['eps']).norm() / want['eps'].norm()) < 1e-3


# -------------------------------------------------------------- devices --


def _linear_problem(device, depends=True):
    x = torch.randn(5, 3, device=device)
    params = dict(w=torch.randn(3, 2, device=device, requires_grad=True))

    def loss_fn(p):
        if not depends:  # losses that do not depend on the parameters
            return (x @ torch.ones(3, 2, device=device)).pow(2).sum(1)
        return (x @ p['w']).pow(2).sum(1)

    # A development loss whose gradient is exactly zero.
    def dev_loss_fn(p):
        return (p['w'] * 0).sum()

    return x, params, loss_fn, dev_loss_fn


@pytest.mark.parametrize('method', ['central_difference', 'forward_ad'])
@pytest.mark.parametrize('depends', [True, False])
def test_zero_development_gradient_on_the_meta_device(method, depends):
    # The whole step on the meta device (shapes and devices, no data): a
    # zero development gradient (and, for forward mode, losses that do not
    # depend on the parameters) must give epsilon on the inputs' device,
    # and no host sync (which the meta device refuses).
    _, params, loss_fn, dev_loss_fn = _linear_problem('meta', depends)
    w = torch.ones(5, device='meta')
    # Losses without parameters have no look-ahead gradient: L2RW's path.
    g = epsilon_gradient(
        loss_fn(params), w if depends else None, params, loss_fn, dev_loss_fn,
        0.1, method)
    weight = meta_sample_weights(g, w, 1.0)
    assert g.device.type == 'meta' and weight.device.type == 'meta'
    assert g.shape == weight.shape == (5, )


@pytest.mark.parametrize('method', ['central_difference', 'forward_ad'])
@pytest.mark.parametrize('depends', [True, False])
def test_zero_direction_products_stay_on_cuda(method, depends):
    # FakeTensorMode builds CUDA tensors without a GPU and raises on a
    # CPU/CUDA mix, as CUDA would (its autograd engine needs a real GPU, so
    # the products are called directly, with a zero direction).
    fn = (
        loss_central_difference
        if method == 'central_difference' else loss_directional_derivative)
    with FakeTensorMode():
        _, params, loss_fn, _ = _linear_problem('cuda', depends)
        products = fn(loss_fn, params, [torch.zeros(3, 2, device='cuda')])
        w = torch.ones(5, device='cuda')
        weight = meta_sample_weights(products.expand(5), w, 1.0)
        assert products.device.type == 'cuda'
        assert weight.device.type == 'cuda'


@pytest.mark.parametrize('method', ['central_difference', 'forward_ad'])
def test_zero_development_gradient_gives_zero_epsilon(method):
    torch.manual_seed(0)
    _, params, loss_fn, dev_loss_fn = _linear_problem('cpu')
    losses = loss_fn(params)
    g = epsilon_gradient(losses, torch.ones(5), params, loss_fn, dev_loss_fn,
                         0.1, method)
    assert g.shape == (5, ) and g.eq(0).all()


# ------------------------------------------------- L2RW without host reads --


def _l2rw_numpy(g):
    """Ren et al.'s weights, independently: max(-g, 0) / sum * N, or 0."""
    import numpy as np
    clipped = np.maximum(-np.asarray(g, dtype=np.float64), 0)
    total = clipped.sum()
    return np.zeros_like(clipped) if total <= 0 else clipped / total * len(g)


@pytest.mark.parametrize('case', ['mixed', 'all_clipped', 'zeros', 'one'])
def test_l2rw_weights_against_numpy(case):
    gen = torch.Generator().manual_seed(0)
    g = dict(
        mixed=torch.randn(64, generator=gen),
        all_clipped=torch.rand(64, generator=gen) + 0.1,
        zeros=torch.zeros(64),
        one=torch.tensor([0.3, -0.7, 0.2]))[case]
    w = torch.ones_like(g)
    got = meta_sample_weights(g, w, 0.5, 'l2rw')
    ref = torch.from_numpy(_l2rw_numpy(g.double().numpy())).float()
    torch.testing.assert_close(got, ref, rtol=1e-6, atol=0)
    assert torch.isfinite(got).all()


def test_l2rw_weights_on_the_meta_device():
    # The normalisation chooses on the device: no `if total <= 0` read of
    # a value (the meta device has none and refuses it, as a GPU would
    # stall for it).
    g = torch.randn(5, device='meta')
    weight = meta_sample_weights(g, torch.ones(5, device='meta'), 1.0, 'l2rw')
    assert weight.device.type == 'meta' and weight.shape == (5, )


def test_l2rw_weights_on_fake_cuda():
    with FakeTensorMode():
        g = torch.randn(5, device='cuda')
        weight = meta_sample_weights(g, torch.ones(5, device='cuda'), 1.0,
                                     'l2rw')
        assert weight.device.type == 'cuda'
