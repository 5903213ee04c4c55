# Copyright (c) mmlt contributors. All rights reserved.
"""The PaCo classifier (Cui et al., ICCV 2021): its training step is the
PaCo loss of the query against [queries, keys, the queue before the step],
the key encoder moves by the momentum rule, the queue takes the keys in
FIFO order, everything resumes exactly, and 2 gloo ranks equal 1 process
at the same global batch."""
import copy
import os.path as osp
import sys

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

import mmlt  # noqa: F401
from mmlt.models.losses import paco_loss

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from dist_utils import run_distributed  # noqa: E402

COUNTS = [40, 20, 8, 3]


@MODELS.register_module(force=True)
class PaCoTestNet(nn.Module):
    """A BN-free backbone, so that per-rank batches give the same
    activations as the global batch."""

    def __init__(self, in_dim=6, out_dim=8):
        super().__init__()
        self.fc1 = nn.Linear(in_dim, out_dim)
        self.fc2 = nn.Linear(out_dim, out_dim)

    def forward(self, x):
        return (torch.tanh(self.fc2(torch.tanh(self.fc1(x)))), )


@MODELS.register_module(force=True)
class PaCoTestNeck(nn.Module):

    def forward(self, x):
        return x


def build(queue_size=10, momentum=0.9, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='PaCo',
            backbone=dict(type='PaCoTestNet'),
            neck=dict(type='PaCoTestNeck'),
            head=dict(
                type='LinearClsHead',
                num_classes=4,
                in_channels=8,
                loss=dict(type='CrossEntropyLoss')),
            paco_loss=dict(
                type='PaCoLoss',
                alpha=0.5,
                temperature=0.3,
                class_counts=COUNTS),
            proj_channels=3,
            queue_size=queue_size,
            momentum=momentum,
            **kwargs))
    model.init_weights()
    return model


def data(steps=4, num=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    views = torch.randn(steps, 2, num, 6, generator=g)
    labels = torch.randint(0, 4, (steps, num), generator=g)
    return views, labels


def samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_init_copies_query_encoder_and_freezes_key_encoder():
    model = build()
    for name in ('backbone', 'neck', 'projector'):
        q = getattr(model, name).state_dict()
        k = model.key_encoder[name].state_dict()
        assert q.keys() == k.keys()
        assert all(torch.equal(q[x], k[x]) for x in q)
    assert not any(p.requires_grad for p in model.key_encoder.parameters())
    # Everything stateful is in the checkpoint.
    state = model.state_dict()
    assert {'queue', 'queue_labels', 'queue_ptr'} <= set(state)
    assert any(k.startswith('key_encoder.backbone.') for k in state)


def test_step_is_the_paco_loss_then_enqueue():
    """Recompute the step by hand: the key encoder first moves by the
    momentum rule, the loss contrasts with the old queue, then this step's
    keys fill the queue from the pointer."""
    model = build(queue_size=10, momentum=0.9)
    # Make the encoders differ, so the momentum step is visible.
    with torch.no_grad():
        for p in model.key_encoder.parameters():
            p.add_(0.1)
    old = copy.deepcopy(model)
    views, labels = data(steps=1)
    im_q, im_k = views[0]
    loss = model.loss([im_q, im_k], samples(labels[0]))['loss']

    for name in ('backbone', 'projector'):
        for (n, kp), qp, ok in zip(model.key_encoder[name].named_parameters(),
                                   getattr(old, name).parameters(),
                                   old.key_encoder[name].parameters()):
            assert torch.allclose(kp, 0.9 * ok + 0.1 * qp), n
    feat = old.backbone(im_q)[-1]
    query = F.normalize(old.projector(feat), dim=1)
    key_enc = model.key_encoder  # already moved: keys come after the update
    keys = F.normalize(
        key_enc['projector'](key_enc['backbone'](im_k)[-1]), dim=1)
    counts = torch.tensor(COUNTS, dtype=torch.float)
    want = paco_loss(
        query,
        labels[0],
        torch.cat([query, keys, old.queue]),
        torch.cat([labels[0], labels[0], old.queue_labels]),
        old.head.fc(feat),
        torch.log(counts / counts.sum()),
        0.5,
        temperature=0.3).mean()
    assert torch.allclose(loss, want, atol=1e-6)
    # FIFO: slots 0..3 hold the keys, the rest the old queue, pointer 4.
    assert torch.allclose(model.queue[:4], keys, atol=1e-6)
    assert torch.equal(model.queue[4:], old.queue[4:])
    assert torch.equal(model.queue_labels[:4], labels[0])
    assert int(model.queue_ptr) == 4
    # The loss reaches the classifier (centres), projector and backbone.
    loss.backward()
    for name in ('head.fc.weight', 'projector.0.weight',
                 'backbone.fc1.weight'):
        assert dict(model.named_parameters())[name].grad.abs().sum() > 0


def test_queue_wraps_around_over_steps():
    model = build(queue_size=10)
    views, labels = data(steps=3)
    for t in range(3):
        model.loss(list(views[t]), samples(labels[t]))
    # 12 keys into 10 slots: the last step's keys fill 8, 9, 0, 1.
    assert int(model.queue_ptr) == 2
    assert model.queue_labels[[8, 9, 0, 1]].tolist() == labels[2].tolist()
    # Slots 2, 3 still hold the first step's last keys, 4..7 the second's.
    assert model.queue_labels[2:4].tolist() == labels[0][2:].tolist()
    assert model.queue_labels[4:8].tolist() == labels[1].tolist()


def test_requires_two_views():
    model = build()
    views, labels = data(steps=1)
    with pytest.raises(ValueError, match='MultiView'):
        model.loss(views[0, 0], samples(labels[0]))
    # Prediction reads the query view of a two-view batch.
    out = model(list(views[0]), mode='tensor')
    assert torch.allclose(out, model(views[0, 0], mode='tensor'))


def train(model, views, labels, start, stop, optim, world=1, rank=0, net=None):
    net = net or model
    num = labels.size(1) // world
    shard = slice(rank * num, (rank + 1) * num)
    losses = []
    for t in range(start, stop):
        loss = net([views[t, 0, shard], views[t, 1, shard]],
                   samples(labels[t, shard]),
                   mode='loss')['loss']
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.detach())
    return losses


def full_state(model, optim):
    return dict(
        model=copy.deepcopy(model.state_dict()),
        optim=copy.deepcopy(optim.state_dict()))


def test_resume_is_exact(tmp_path):
    views, labels = data(steps=6)
    model = build()
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train(model, views, labels, 0, 6, optim)

    first = build(seed=5)  # other init: the checkpoint must overwrite it
    first.load_state_dict(build().state_dict())
    optim1 = torch.optim.SGD(first.parameters(), lr=0.1, momentum=0.9)
    train(first, views, labels, 0, 3, optim1)
    path = tmp_path / 'ckpt.pth'
    torch.save(full_state(first, optim1), path)
    ckpt = torch.load(path)
    resumed = build(seed=7)
    resumed.load_state_dict(ckpt['model'])
    optim2 = torch.optim.SGD(resumed.parameters(), lr=0.1, momentum=0.9)
    optim2.load_state_dict(ckpt['optim'])
    train(resumed, views, labels, 3, 6, optim2)
    want, got = model.state_dict(), resumed.state_dict()
    assert want.keys() == got.keys()
    for k in want:
        assert torch.equal(want[k], got[k]), k


def _ddp_run(rank, world, views, labels, gather_contrast):
    model = build(queue_size=16, gather_contrast=gather_contrast)
    net = model
    if world > 1:
        net = nn.parallel.DistributedDataParallel(model)
    optim = torch.optim.SGD(model.parameters(), lr=0.2)
    losses = train(model, views, labels, 0, views.size(0), optim, world, rank,
                   net)
    return dict(state=model.state_dict(), losses=torch.stack(losses))


def test_two_ranks_equal_one_process():
    """Same global batch of 8: 2 ranks x 4 == 1 x 8 (parameters, key
    encoder, queue with labels and pointer), keys gathered in rank
    order."""
    views, labels = data(steps=3, num=8)
    one = _ddp_run(0, 1, views, labels, True)
    two = run_distributed(_ddp_run, 2, views, labels, True)
    for rank in range(2):
        for k, v in one['state'].items():
            assert torch.allclose(
                v.float(), two[rank]['state'][k].float(), atol=1e-6), k
    # The global loss is the mean of the ranks' losses.
    mean = (two[0]['losses'] + two[1]['losses']) / 2
    assert torch.allclose(one['losses'], mean, atol=1e-6)


def test_per_device_contrast_still_gathers_the_queue():
    """The authors' per-GPU contrast (gather_contrast=False) differs from
    the global batch in the loss, but the queue gets every rank's keys."""
    views, labels = data(steps=1, num=8)
    one = _ddp_run(0, 1, views, labels, False)
    two = run_distributed(_ddp_run, 2, views, labels, False)
    assert torch.equal(two[0]['state']['queue_labels'],
                       one['state']['queue_labels'])
    assert torch.allclose(two[0]['state']['queue'], two[1]['state']['queue'])
    assert int(two[0]['state']['queue_ptr']) == 8


def test_step_on_fake_cuda_without_host_reads():
    """The whole step (momentum update, key encoding, gather, loss,
    enqueue) on a fake CUDA device: no CPU tensor mixed in, no host read
    (the queue pointer stays on the device)."""
    from torch._subclasses import FakeTensorMode
    model = build()
    views, labels = data(steps=1)
    batch = samples(labels[0])
    with FakeTensorMode(allow_non_fake_inputs=True):
        model = model.to('cuda')
        out = model.loss([v.cuda() for v in views[0]], batch)
        assert out['loss'].device.type == 'cuda'
        assert model.queue_ptr.device.type == 'cuda'


def test_bf16_autocast_step():
    """Under bf16 autocast the loss stays float32 and close to the float32
    step; the queue keeps float32 keys."""
    views, labels = data(steps=1)
    ref = build().loss(list(views[0]), samples(labels[0]))['loss']
    model = build()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = model.loss(list(views[0]), samples(labels[0]))['loss']
    assert out.dtype == torch.float32 and torch.isfinite(out)
    assert torch.allclose(out, ref, rtol=0.05)
    assert model.queue.dtype == torch.float32
    out.backward()
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)
