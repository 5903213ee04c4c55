# Copyright (c) mmlt contributors. All rights reserved.
"""Every loss and head of mmlt off the CPU and in reduced precision, on CI.

- **Fake CUDA** (``torch._subclasses.FakeTensorMode``): the module and its
  inputs on a fake ``cuda`` device; the forward raises on any CPU tensor
  mixed into a CUDA computation and on any host read of device data
  (``bool()``/``int()``/``.item()``). The backward needs a real CUDA
  context (the autograd engine asks the driver for it), so it runs on:
- **meta**: forward and backward with shapes only; device and dtype
  errors still raise.
- **bf16 autocast** (``torch.autocast('cpu', dtype=torch.bfloat16)``): the
  logits come from a linear layer under autocast, as in mixed-precision
  training; the loss and the gradients must be finite and the loss within
  ``BF16_RTOL * |ref| + BF16_ATOL`` of the float32 one (bf16 keeps 8
  significant bits: logits of size ~3 round by ~0.01).

Stochastic or stateful modules are deep-copied before each run, so both
runs draw the same masks and start from the same statistics.
"""
import copy
import inspect

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch._subclasses import FakeTensorMode

import mmlt  # noqa: F401
import mmlt.models.heads as heads_module
import mmlt.models.losses as losses_module

NUM, DIM, NUM_CLASSES = 12, 4, 5
COUNTS = [200, 100, 50, 20, 5]
#: bf16 against float32: relative and absolute tolerance of the loss.
BF16_RTOL, BF16_ATOL = 0.02, 0.02

#: name -> config of every loss class in mmlt.models.losses.
LOSSES = {
    'BalancedSoftmaxLoss':
    dict(class_counts=COUNTS),
    'RIDELoss':
    dict(class_counts=COUNTS),
    'CategoryGHMLoss':
    dict(num_classes=NUM_CLASSES, class_counts=COUNTS),
    'ClassBalancedLoss-softmax':
    dict(type='ClassBalancedLoss', loss_type='softmax', class_counts=COUNTS),
    'ClassBalancedLoss-sigmoid':
    dict(type='ClassBalancedLoss', loss_type='sigmoid', class_counts=COUNTS),
    'ClassBalancedLoss-focal':
    dict(type='ClassBalancedLoss', loss_type='focal', class_counts=COUNTS),
    'CombinedLoss':
    dict(losses=[
        dict(type='LogitAdjustedLoss', class_counts=COUNTS),
        dict(type='SoftmaxFocalLoss', loss_weight=0.5)
    ]),
    'EqualizationLoss':
    dict(lambda_=0.1, gamma=0.5, class_counts=COUNTS),
    'GeometricMeanLoss':
    dict(class_counts=COUNTS),
    'GHMCLoss':
    dict(momentum=0.5),
    'GradualBalancedLoss':
    dict(tau=0.5, class_counts=COUNTS),
    'LabelAwareSmoothingLoss':
    dict(class_counts=COUNTS),
    'LDAMLoss':
    dict(class_counts=COUNTS),
    'LogitAdjustedLoss':
    dict(class_counts=COUNTS),
    'ReweightedCrossEntropyLoss':
    dict(class_weight=[0.2, 0.4, 1, 2, 3]),
    'SoftmaxFocalLoss':
    dict(),
}

#: Losses with random draws (per-device generators).
STOCHASTIC = {'EqualizationLoss'}


def build_loss(name):
    cfg = dict(LOSSES[name])
    cfg.setdefault('type', name.split('-')[0])
    return MODELS.build(cfg)


def _fit_afg(head):
    """AFG statistics from random features (the head's own test set-up)."""
    from test_models.test_heads.test_afg_head import _fit
    _fit(head)


#: name -> (config, set-up) of every head in mmlt.models.heads.
HEADS = {
    'AdaptiveFeatureGeneratorHead':
    (dict(k=2, tail_max_count=60, class_counts=COUNTS,
          covariance_type='full'), _fit_afg),
    'EnsembleClsHead': (dict(), lambda head: head.load_state_dict(
        {k: v
         for k, v in head.state_dict().items() if 'old_fc' not in k},
        strict=False)),
    'LogitAdjustedLinearClsHead': (dict(class_counts=COUNTS), None),
    'RIDEHead':
    (dict(num_experts=1, loss=dict(type='RIDELoss',
                                   class_counts=COUNTS)), None),
    'LWSHead': (dict(), None),
    'NormedLinearClsHead': (dict(scale=16.0), None),
    'TauNormHead': (dict(), None),
}

#: Losses whose inputs are not (logits, labels), with the test file that
#: runs the same fake-CUDA, meta and bf16 checks on their own inputs.
SWEPT_ELSEWHERE = {
    'PaCoLoss': 'tests/test_models/test_losses/test_paco_loss.py',
}

#: Modules that fail a sweep, (sweep, name) -> reason: none at present.
KNOWN_FAILURES = {}


def build_head(name):
    cfg, setup = HEADS[name]
    cfg = dict(cfg, type=name, num_classes=NUM_CLASSES, in_channels=DIM)
    head = MODELS.build(cfg)
    head.init_weights()
    if setup is not None:
        setup(head)
    return head


def params(sweep, names):
    """The names, those of KNOWN_FAILURES marked strict xfail (a fix makes
    the test fail until its entry is removed)."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                reason=KNOWN_FAILURES[sweep, name], strict=True)) if
        (sweep, name) in KNOWN_FAILURES else name for name in names
    ]


def inputs(device='cpu'):
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(NUM, DIM, generator=gen) * 2
    labels = torch.arange(NUM) % NUM_CLASSES
    weight = torch.randn(NUM_CLASSES, DIM, generator=gen)
    return feats.to(device), labels.to(device), weight.to(device)


def samples(labels):
    # set_gt_label would read the label to the host.
    out = []
    for label in labels:
        sample = DataSample()
        sample.set_field(label.view(1), 'gt_label', dtype=torch.Tensor)
        out.append(sample)
    return out


def test_sweeps_cover_every_loss_and_head():
    classes = {
        name
        for module in (losses_module, heads_module)
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and MODELS.get(name) is obj
    }
    swept = {n.split('-')[0] for n in LOSSES} | set(HEADS)
    assert classes == swept | set(SWEPT_ELSEWHERE), classes ^ swept


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------
@pytest.mark.parametrize('name', params('fake_cuda', LOSSES))
def test_loss_on_fake_cuda(name):
    loss_fn = build_loss(name).train()
    with FakeTensorMode(allow_non_fake_inputs=True):
        loss_fn = loss_fn.to('cuda')
        feats, labels, weight = inputs('cuda')
        logits = feats @ weight.t()
        out = loss_fn(logits, labels)
        assert out.device.type == 'cuda' and out.dim() == 0


@pytest.mark.parametrize('name', params('meta', LOSSES))
def test_loss_on_meta(name):
    loss_fn = build_loss(name).train().to('meta')
    feats, labels, weight = inputs('meta')
    weight.requires_grad_()
    out = loss_fn(feats @ weight.t(), labels)
    assert out.device.type == 'meta' and out.dim() == 0
    out.backward()
    assert weight.grad.device.type == 'meta'


@pytest.mark.parametrize('name', list(LOSSES))
def test_loss_on_device(name, device):
    # A real device (cuda where present): the CPU's values.
    loss_fn = build_loss(name).train()
    results = []
    for where in ('cpu', device):
        feats, labels, weight = inputs(where)
        weight.requires_grad_()
        out = copy.deepcopy(loss_fn).to(where)(feats @ weight.t(), labels)
        out.backward()
        results.append((out.detach().cpu(), weight.grad.cpu()))
    (ref, ref_grad), (out, grad) = results
    assert torch.isfinite(out) and torch.isfinite(grad).all()
    if name in STOCHASTIC and device != 'cpu':
        return  # CUDA generators draw other numbers than CPU ones
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-4, atol=1e-5)


def run_loss(loss_fn, autocast):
    feats, labels, weight = inputs()
    weight.requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        logits = torch.nn.functional.linear(feats, weight)
        out = loss_fn(logits, labels)
    out.float().backward()
    return out, logits.dtype, weight.grad


@pytest.mark.parametrize('name', params('bf16', LOSSES))
def test_loss_under_bf16_autocast(name):
    loss_fn = build_loss(name).train()
    ref, ref_dtype, ref_grad = run_loss(copy.deepcopy(loss_fn), False)
    out, dtype, grad = run_loss(copy.deepcopy(loss_fn), True)
    assert (ref_dtype, dtype) == (torch.float32, torch.bfloat16)
    assert torch.isfinite(out) and torch.isfinite(grad).all()
    assert abs(out.float().item() -
               ref.item()) <= (BF16_RTOL * abs(ref.item()) + BF16_ATOL), (out,
                                                                          ref)
    # Gradients: the same direction (bf16 logits carry ~3 digits).
    cos = torch.nn.functional.cosine_similarity(
        grad.flatten(), ref_grad.flatten(), dim=0)
    assert cos > 0.99


# --------------------------------------------------------------------------
# Heads
# --------------------------------------------------------------------------
@pytest.mark.parametrize('name', params('fake_cuda', HEADS))
def test_head_on_fake_cuda(name):
    head = build_head(name).train()
    with FakeTensorMode(allow_non_fake_inputs=True):
        head = head.to('cuda')
        feats, labels, _ = inputs('cuda')
        losses = head.loss((feats, ), samples(labels))
        assert all(v.device.type == 'cuda' for v in losses.values())
        head.eval()
        with torch.no_grad():
            logits = head((feats, ))
        assert logits.shape == (NUM, NUM_CLASSES)


@pytest.mark.parametrize('name', params('meta', HEADS))
def test_head_on_meta(name):
    head = build_head(name).train().to('meta')
    feats, labels, _ = inputs('meta')
    feats.requires_grad_()
    losses = head.loss((feats, ), samples(labels))
    sum(losses.values()).backward()
    assert feats.grad.device.type == 'meta'


def run_head(head, autocast):
    feats, labels, _ = inputs()
    feats.requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        losses = head.loss((feats, ), samples(labels))
        total = sum(v.float() for v in losses.values())
    total.backward()
    head.eval()
    with torch.no_grad(), torch.autocast(
            'cpu', dtype=torch.bfloat16, enabled=autocast):
        scores = torch.stack([s.pred_score
                              for s in head.predict((feats, ))]).float()
    return total, feats.grad, scores


@pytest.mark.parametrize('name', params('bf16', HEADS))
def test_head_under_bf16_autocast(name):
    head = build_head(name).train()
    ref, ref_grad, ref_scores = run_head(copy.deepcopy(head), False)
    out, grad, scores = run_head(copy.deepcopy(head), True)
    assert torch.isfinite(out) and torch.isfinite(grad).all()
    assert torch.isfinite(scores).all()
    assert abs(out.item() - ref.item()) <= (BF16_RTOL * abs(ref.item()) +
                                            BF16_ATOL), (out, ref)
    # Predicted probabilities: bf16 rounding of the logits only.
    torch.testing.assert_close(scores, ref_scores, rtol=0, atol=0.03)
