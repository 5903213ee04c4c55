# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmlt.models.losses import (LDAMLoss, ReweightedCrossEntropyLoss,
                                deferred_reweighting_weights)


def np_effective_weights(counts, beta):
    w = (1 - beta) / (1 - np.power(beta, np.asarray(counts, np.float64)))
    return w / w.sum() * len(counts)


@pytest.mark.parametrize('beta', [0.9, 0.9999])
def test_switches_exactly_at_drw_epoch(counts, beta):
    drw_epoch = 160
    for epoch in (0, 1, drw_epoch - 1):
        w = deferred_reweighting_weights(counts, epoch, drw_epoch, beta)
        np.testing.assert_array_equal(w.numpy(), np.ones(counts.size))
    for epoch in (drw_epoch, drw_epoch + 1, 199):
        w = deferred_reweighting_weights(
            torch.as_tensor(counts), epoch, drw_epoch, beta)
        np.testing.assert_allclose(
            w.numpy(), np_effective_weights(counts, beta), rtol=1e-10)
        assert w.sum().item() == pytest.approx(counts.size)


def test_drw_epoch_zero_reweights_from_the_start():
    w = deferred_reweighting_weights([10, 1], epoch=0, drw_epoch=0)
    assert w[1] > w[0]


def test_bad_beta_fails_before_the_switch():
    with pytest.raises(ValueError, match='`beta`'):
        deferred_reweighting_weights([10, 1], epoch=0, drw_epoch=5, beta=1.0)
    with pytest.raises(ValueError, match='positive counts'):
        deferred_reweighting_weights([10, 0], epoch=0, drw_epoch=5)


@pytest.mark.parametrize('loss_type', [LDAMLoss, ReweightedCrossEntropyLoss])
def test_drw_on_losses(data, counts, loss_type):
    z, y = torch.tensor(data[0]), torch.tensor(data[1])
    loss_fn = loss_type(class_counts=counts)
    plain = loss_fn(z, y)
    # What a DRW hook does at every epoch.
    loss_fn.set_class_weight(deferred_reweighting_weights(counts, 3, 5))
    torch.testing.assert_close(loss_fn(z, y), plain)
    weights = deferred_reweighting_weights(counts, 5, 5, beta=0.99)
    loss_fn.set_class_weight(weights)
    per_sample = loss_fn(z, y, reduction_override='none')
    w = weights.numpy()[data[1]]
    plain_per_sample = loss_type(class_counts=counts)(
        z, y, reduction_override='none')
    np.testing.assert_allclose(
        per_sample.numpy(), w * plain_per_sample.numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        loss_fn(z, y).item(), per_sample.sum().item() / w.sum(), rtol=1e-6)
