# Copyright (c) mmlt contributors. All rights reserved.
"""PaCo's loss (Cui et al., ICCV 2021) against a numpy computation of its
formula, written the way the authors' code builds it (positive masks, a
weighted denominator, max-subtracted logits), independently of the
logsumexp form of :func:`paco_loss`."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmlt.models.losses import PaCoLoss, paco_loss


def numpy_paco(q, labels, contrast, contrast_labels, centre_logits, log_prior,
               alpha, beta, gamma, t, t_c, t_b, offset):
    q, contrast = q.astype(np.float64), contrast.astype(np.float64)
    n, num_classes = centre_logits.shape
    losses = []
    for i in range(n):
        centre = (centre_logits[i] + log_prior) / t_c
        sample = contrast @ q[i] / t
        logits = np.concatenate([centre, sample])
        logits = logits - logits.max()
        # Denominator: all centres, gamma x all samples but the query.
        keep = np.ones(len(sample))
        keep[offset + i] = 0
        denom = np.exp(logits[:num_classes]).sum() + gamma * (
            np.exp(logits[num_classes:]) * keep).sum()
        log_prob = logits - np.log(denom)
        # Positives: own centre (beta), same-label samples but self (alpha).
        pos = np.concatenate([
            beta * (np.arange(num_classes) == labels[i]),
            alpha * (contrast_labels == labels[i]) * keep
        ])
        losses.append(-(t / t_b) * (pos * log_prob).sum() / pos.sum())
    return np.array(losses)


def case(seed=0, n=6, m_queue=9, dim=5, num_classes=4, offset=0, world=1):
    g = torch.Generator().manual_seed(seed)
    q = F.normalize(torch.randn(n, dim, generator=g), dim=1)
    labels = torch.randint(0, num_classes, (n, ), generator=g)
    # Other ranks' queries around this rank's (rows offset..offset+n-1).
    others = F.normalize(torch.randn(n * (world - 1), dim, generator=g), dim=1)
    other_labels = torch.randint(
        0, num_classes, (n * (world - 1), ), generator=g)
    queries = torch.cat([others[:offset], q, others[offset:]])
    query_labels = torch.cat(
        [other_labels[:offset], labels, other_labels[offset:]])
    keys = F.normalize(torch.randn(n * world, dim, generator=g), dim=1)
    queue = F.normalize(torch.randn(m_queue, dim, generator=g), dim=1)
    queue_labels = torch.randint(0, num_classes, (m_queue, ), generator=g)
    contrast = torch.cat([queries, keys, queue])
    contrast_labels = torch.cat([query_labels, query_labels, queue_labels])
    centre_logits = torch.randn(n, num_classes, generator=g) * 3
    counts = torch.tensor([50, 20, 5, 2][:num_classes]).double()
    log_prior = torch.log(counts / counts.sum()).float()
    return q, labels, contrast, contrast_labels, centre_logits, log_prior


@pytest.mark.parametrize('alpha, beta, gamma, t, t_c, t_b', [
    (0.05, 1.0, 1.0, 0.2, 1.0, 0.2),
    (0.01, 1.0, 1.0, 0.05, 1.0, 0.05),
    (1.0, 0.5, 0.3, 0.1, 2.0, 0.07),
    (0.7, 0.0, 1.0, 0.2, 1.0, 0.2),
])
@pytest.mark.parametrize('world, offset', [(1, 0), (3, 6)])
def test_matches_numpy(alpha, beta, gamma, t, t_c, t_b, world, offset):
    q, labels, contrast, cl, centre, log_prior = case(
        world=world, offset=offset)
    got = paco_loss(
        q,
        labels,
        contrast,
        cl,
        centre,
        log_prior,
        alpha,
        beta,
        gamma,
        t,
        t_c,
        t_b,
        self_offset=offset)
    want = numpy_paco(q.numpy(), labels.numpy(), contrast.numpy(), cl.numpy(),
                      centre.numpy(), log_prior.numpy(), alpha, beta, gamma, t,
                      t_c, t_b, offset)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_queue_and_self_exclusion_matter():
    """The queue's keys enter numerator and denominator: changing a queue
    key changes the loss as the numpy formula says; the query's own row
    (self-contrast) is masked out."""
    q, labels, contrast, cl, centre, log_prior = case()
    args = (0.5, 1.0, 1.0, 0.2, 1.0, 0.2)
    base = paco_loss(q, labels, contrast, cl, centre, log_prior, *args)
    # The queue is the last 9 rows: flip one key towards query 0's class.
    moved_cl = cl.clone()
    moved_cl[-1] = labels[0]
    moved = contrast.clone()
    moved[-1] = q[0]
    got = paco_loss(q, labels, moved, moved_cl, centre, log_prior, *args)
    want = numpy_paco(q.numpy(), labels.numpy(),
                      moved.numpy(), moved_cl.numpy(), centre.numpy(),
                      log_prior.numpy(), *args, 0)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(got[0], base[0])  # the queue counts
    # The query's own row (self-contrast) is masked: changing it is inert
    # for query 0.
    self_changed = contrast.clone()
    self_changed[0] = -self_changed[0]
    other = paco_loss(q, labels, self_changed, cl, centre, log_prior, *args)
    assert torch.allclose(other[0], base[0])


def test_centre_branch_alone_is_balanced_softmax():
    """alpha = gamma = 0: the logit-adjusted cross-entropy of the
    classifier (the balanced-softmax branch)."""
    q, labels, contrast, cl, centre, log_prior = case()
    got = paco_loss(
        q,
        labels,
        contrast,
        cl,
        centre,
        log_prior,
        alpha=0.0,
        beta=1.0,
        gamma=0.0,
        temperature=0.2)
    want = F.cross_entropy(centre + log_prior, labels, reduction='none')
    assert torch.allclose(got, want, atol=1e-6)


def test_gradient_matches_numerical():
    q, labels, contrast, cl, centre, log_prior = case(n=3, m_queue=4)
    q = q.double().requires_grad_()
    centre = centre.double().requires_grad_()
    args = dict(alpha=0.3, beta=1.0, gamma=0.7, temperature=0.5)
    loss = paco_loss(q, labels, contrast.double(), cl, centre, log_prior,
                     **args).sum()
    grad_q, grad_c = torch.autograd.grad(loss, (q, centre))
    eps = 1e-3
    for tensor, grad in ((q, grad_q), (centre, grad_c)):
        for idx in [(0, 0), (1, 2), (2, 1)]:
            plus, minus = tensor.detach().clone(), tensor.detach().clone()
            plus[idx] += eps
            minus[idx] -= eps

            def f(x):
                qq, cc = (x, centre) if tensor is q else (q, x)
                return paco_loss(qq.detach().double(), labels,
                                 contrast.double(), cl,
                                 cc.detach().double(), log_prior,
                                 **args).sum().item()

            numeric = (f(plus) - f(minus)) / (2 * eps)
            assert abs(numeric - grad[idx].item()) < 1e-3


def test_module_uses_class_counts_and_reduces():
    q, labels, contrast, cl, centre, _ = case()
    loss = PaCoLoss(alpha=0.05, temperature=0.2, class_counts=[50, 20, 5, 2])
    counts = torch.tensor([50., 20, 5, 2])
    log_prior = torch.log(counts / counts.sum())
    want = paco_loss(
        q, labels, contrast, cl, centre, log_prior, 0.05,
        temperature=0.2).mean()
    assert torch.allclose(loss(q, labels, contrast, cl, centre), want)


def test_module_errors():
    q, labels, contrast, cl, centre, _ = case()
    with pytest.raises(RuntimeError, match='class_counts'):
        PaCoLoss(alpha=0.05)(q, labels, contrast, cl, centre)
    with pytest.raises(ValueError, match='3 entries'):
        PaCoLoss(
            alpha=0.05, class_counts=[5, 3, 1])(q, labels, contrast, cl,
                                                centre)
    with pytest.raises(ValueError, match='alpha'):
        PaCoLoss(alpha=-1)
    with pytest.raises(ValueError, match='temperature'):
        PaCoLoss(alpha=0.1, temperature=0)
    with pytest.raises(ValueError, match='both 0'):
        PaCoLoss(alpha=0.0, beta=0.0)


def test_bf16_autocast_computes_in_float32():
    q, labels, contrast, cl, centre, _ = case()
    loss = PaCoLoss(alpha=0.05, temperature=0.05, class_counts=[50, 20, 5, 2])
    ref = loss(q, labels, contrast, cl, centre)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = loss(q.bfloat16(), labels, contrast.bfloat16(), cl,
                   centre.bfloat16())
    assert got.dtype == torch.float32
    # Only the inputs' bf16 rounding differs (1/t = 20 amplifies it).
    assert torch.allclose(got, ref, rtol=0.05)


def test_on_fake_cuda_without_host_reads():
    """FakeTensorMode raises on a CPU tensor mixed into the CUDA
    computation and on any host read of device data."""
    from torch._subclasses import FakeTensorMode
    q, labels, contrast, cl, centre, _ = case()
    loss = PaCoLoss(alpha=0.05, class_counts=[50, 20, 5, 2])
    with FakeTensorMode(allow_non_fake_inputs=True):
        loss = loss.to('cuda')
        out = loss(q.cuda(), labels.cuda(), contrast.cuda(), cl.cuda(),
                   centre.cuda())
        assert out.device.type == 'cuda' and out.dim() == 0


def test_on_meta_forward_and_backward():
    q, labels, contrast, cl, centre, _ = case()
    loss = PaCoLoss(alpha=0.05, class_counts=[50, 20, 5, 2]).to('meta')
    q = q.to('meta').requires_grad_()
    out = loss(q, labels.to('meta'), contrast.to('meta'), cl.to('meta'),
               centre.to('meta'))
    out.backward()
    assert out.device.type == 'meta' and q.grad.device.type == 'meta'


@pytest.mark.parametrize('alpha', [1.0, 0.05])
def test_optimum_shares_of_centre_and_samples(alpha):
    """The paper's analysis (Sec. 3.3): at the optimum of the loss, the
    centre takes beta / (beta + alpha K) of the probability and each of the
    K sample positives alpha / (beta + alpha K), so with alpha = 1 the
    centre's share shrinks with the class's positives (a head class with
    many samples leans on them), while a small alpha keeps the centre
    dominant for every class. Free centre logits and contrast vectors are
    optimised; the shares reached match the formula."""
    torch.manual_seed(0)
    beta, t = 1.0, 0.05
    for positives in (2, 8):
        labels = torch.tensor([0])
        # Contrast: the query itself (masked), K positives, 4 negatives.
        contrast_labels = torch.tensor([0] + [0] * positives + [1] * 4)
        query = F.normalize(torch.randn(1, 3), dim=1)
        z = torch.randn(len(contrast_labels), 3, requires_grad=True)
        centre = torch.zeros(1, 3, requires_grad=True)
        optim = torch.optim.Adam([z, centre], lr=0.05)
        for _ in range(1500):
            # Unit contrast vectors, as the model's normalised keys.
            contrast = torch.cat([query, F.normalize(z[1:], dim=1)])
            loss = paco_loss(query, labels, contrast, contrast_labels, centre,
                             torch.zeros(3), alpha, beta, 1.0, t).sum()
            optim.zero_grad()
            loss.backward()
            optim.step()
        with torch.no_grad():
            contrast = torch.cat([query, F.normalize(z[1:], dim=1)])
            logits = torch.cat([centre[0], (contrast[1:] @ query[0]) / t])
            probs = logits.softmax(0)
        share = beta / (beta + alpha * positives)
        assert probs[0].item() == pytest.approx(share, abs=0.02)
        pos = probs[3:3 + positives]
        assert torch.allclose(
            pos, torch.full_like(pos, share * alpha / beta), atol=0.02)
