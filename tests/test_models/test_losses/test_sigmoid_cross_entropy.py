# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmlt.models.losses.sigmoid_cross_entropy import (sigmoid_cross_entropy,
                                                      softplus_of_negative_abs)


def np_bce(z, y):
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_values_and_gradient_against_the_formula(dtype):
    rng = np.random.default_rng(0)
    z = rng.normal(scale=4, size=(7, 5))
    z[0, :3] = [-30.0, 30.0, 0.0]  # saturated and balanced logits
    y = rng.uniform(size=(7, 5))
    y[1] = [0, 1, 0, 1, 1]
    w = rng.uniform(0.5, 2.0, size=(7, 5))
    z_t = torch.tensor(z, dtype=dtype, requires_grad=True)
    loss = sigmoid_cross_entropy(z_t, torch.tensor(y), torch.tensor(w))
    assert loss.dtype == dtype
    tol = dict(
        rtol=1e-5, atol=1e-6) if dtype == torch.float32 else dict(
            rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(loss.detach().numpy(), w * np_bce(z, y), **tol)
    # d/dz of sum(g * w * BCE) = g * w * (sigmoid(z) - y).
    g = rng.uniform(size=(7, 5))
    loss.backward(torch.tensor(g, dtype=dtype))
    np.testing.assert_allclose(z_t.grad.numpy(),
                               g * w * (1 / (1 + np.exp(-z)) - y), **tol)


def test_gradcheck_and_no_weight():
    torch.manual_seed(0)
    z = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    y = torch.rand(4, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: sigmoid_cross_entropy(x, y),
                                    (z, ))
    torch.testing.assert_close(
        sigmoid_cross_entropy(z, y),
        torch.nn.functional.binary_cross_entropy_with_logits(
            z, y, reduction='none'))


def test_softplus_of_negative_abs_float32_error_is_tiny():
    z = torch.linspace(-40, 40, 2001)
    exact = torch.log1p(torch.exp(-z.double().abs()))
    got = softplus_of_negative_abs(z)
    assert (got.double() - exact).abs().max() < 1e-7
