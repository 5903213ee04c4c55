# Copyright (c) mmlt contributors. All rights reserved.
r"""The meta-learned sample weights of Jamal et al. (CVPR 2020), as functions.

`Rethinking Class-Balanced Methods for Long-Tailed Visual Recognition from a
Domain Adaptation Perspective <https://arxiv.org/abs/2003.10780>`_. A
training sample's weight is the class-balanced weight :math:`w_y` plus a
conditional term :math:`\epsilon_i`, learned per batch by one meta step
(Algorithm 1, lines 8-13):

.. math::

    \tilde\theta(\epsilon) &= \theta - \eta \nabla_\theta \frac{1}{|B|}
        \sum_{i \in B} (w_{y_i} + \epsilon_i) L_i(\theta), \quad
        \epsilon = 0, \\
    \epsilon &\leftarrow \epsilon - \tau \nabla_\epsilon \frac{1}{|B_d|}
        \sum_{j \in B_d} L_j(\tilde\theta(\epsilon)),

with :math:`B_d` a batch of the balanced development set.

**The step in the authors' units.** Algorithm 1 writes the look-ahead loss
as the batch mean (above, ``lookahead_reduction='mean'``). The authors'
released CIFAR code sums it over the batch and steps :math:`\epsilon` by
0.01 (``lookahead_reduction='sum'``, ``meta_lr=0.01``):
:math:`\tilde\theta = \theta - \eta \nabla_\theta \sum_i (w_{y_i} +
\epsilon_i) L_i`. As :math:`\nabla_{\epsilon_i}` of the development loss
is :math:`-\eta_{\text{eff}} \langle \nabla L_i(\theta), \nabla
L_D(\tilde\theta) \rangle` with :math:`\eta_{\text{eff}} = \eta` for
the sum and :math:`\eta / |B|` for the mean,

- the summed form at :math:`(\eta, \tau)` is exactly the mean form at
  :math:`(|B|\eta, \tau)` (the same :math:`\tilde\theta`, the same
  gradient);
- to first order in the look-ahead step it is the mean form at
  :math:`(\eta, |B|\tau)`: the authors' 0.01 is :math:`\tau = 0.01
  |B|` (1.28 at batch 128) on the mean.

:math:`|B|` is the global batch (all ranks). The development loss is the
batch mean in both forms (Algorithm 1, line 12).

**Precision.** Under autocast (``AmpOptimWrapper``) the look-ahead, the
development gradient and the gradient products run in the parameters'
precision with autocast off: in half precision the central difference's
step is below the resolution of the losses and the two ``autograd.grad``
calls would run without the loss scaling of the real update. The look-ahead
gradient then comes from a second forward of the training batch at full
precision; the real update keeps the autocast losses.

The L2RW variant
(Ren et al., ICML 2018) uses no class weights (:math:`w = 0`) and turns the
same gradient into weights :math:`\max(-\nabla_{\epsilon_i}, 0)` normalised
to sum to one.

Everything here is pure: the model is reached only through the loss
closures, so each step can be checked against a manual SGD step and finite
differences. Under ``torch.distributed`` the parameter gradients are
averaged over ranks, so that every rank sees the look-ahead and the
:math:`\epsilon` gradient of one process holding the global batch.
"""
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.autograd.forward_ad as fwAD
import torch.distributed as dist

from mmlt.models.losses.utils import check_choice, check_number
from mmlt.utils.precision import autocast_enabled, autocast_off

VARIANTS = ('class_balanced', 'l2rw')
#: How the products of the per-sample gradients with the development
#: gradient are computed (:func:`epsilon_gradient`).
DIRECTIONAL_DERIVATIVES = ('central_difference', 'forward_ad')
#: How the look-ahead loss is reduced over the batch: the paper's mean or
#: the authors' code's sum (see the module docstring for the mapping).
LOOKAHEAD_REDUCTIONS = ('mean', 'sum')

Params = Dict[str, torch.Tensor]


def world_size() -> int:
    """The number of ranks, 1 outside ``torch.distributed``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def average_across_ranks(tensors: Sequence[torch.Tensor]
                         ) -> List[torch.Tensor]:
    """Average detached tensors over the ranks, in one all-reduce.

    Args:
        tensors (Sequence[torch.Tensor]): Same shapes on every rank.

    Returns:
        list[torch.Tensor]: The averages (the tensors themselves, detached,
        on a single rank).
    """
    tensors = [t.detach() for t in tensors]
    ranks = world_size()
    if ranks == 1:
        return tensors
    flat = torch.cat([t.reshape(-1) for t in tensors])
    dist.all_reduce(flat)
    flat /= ranks
    return [
        part.view_as(t)
        for part, t in zip(flat.split([t.numel() for t in tensors]), tensors)
    ]


def sum_across_ranks(value: torch.Tensor) -> torch.Tensor:
    """The sum of a detached tensor over the ranks."""
    value = value.detach().clone()
    if world_size() > 1:
        dist.all_reduce(value)
    return value


def look_ahead(params: Params, grads: Sequence[torch.Tensor],
               lr: float) -> Params:
    r"""One SGD step :math:`\tilde\theta = \theta - \eta g`.

    Plain SGD, without the optimizer's momentum and weight decay: the
    paper's look-ahead (Algorithm 1, line 10).

    Args:
        params (dict[str, torch.Tensor]): Parameters :math:`\theta` by name.
        grads (Sequence[torch.Tensor]): :math:`g`, one per parameter, in
            ``params``' order.
        lr (float): The step size :math:`\eta`.

    Returns:
        dict[str, torch.Tensor]: :math:`\tilde\theta` by name.
    """
    return {name: p - lr * g for (name, p), g in zip(params.items(), grads)}


def loss_directional_derivative(loss_fn: Callable[[Params], torch.Tensor],
                                params: Params,
                                tangents: Sequence[torch.Tensor]
                                ) -> torch.Tensor:
    r"""Directional derivatives :math:`\langle \nabla_\theta L_i, v
    \rangle` of per-sample losses, exactly, by forward-mode AD.

    One forward pass with dual parameters (:math:`J v` of the per-sample
    losses, no graph kept); the reverse-over-reverse alternative (a
    ``create_graph`` backward, then a backward through it) costs several
    times more for convolutions.

    Args:
        loss_fn (Callable): Maps parameters by name to per-sample losses
            ``(N, )``; called once with dual tensors.
        params (dict[str, torch.Tensor]): :math:`\theta` by name.
        tangents (Sequence[torch.Tensor]): :math:`v`, one per parameter, in
            ``params``' order.

    Returns:
        torch.Tensor: :math:`(J v)_i`, shape ``(N, )``.
    """
    with torch.no_grad(), fwAD.dual_level():
        duals = {
            name: fwAD.make_dual(p.detach(), t.to(p))
            for (name, p), t in zip(params.items(), tangents)
        }
        primal, tangent = fwAD.unpack_dual(loss_fn(duals))
    if tangent is None:  # the losses do not depend on the parameters
        tangent = torch.zeros_like(primal)
    return tangent


def loss_central_difference(loss_fn: Callable[[Params], torch.Tensor],
                            params: Params,
                            tangents: Sequence[torch.Tensor],
                            step: float = 1e-2) -> torch.Tensor:
    r"""Directional derivatives :math:`\langle \nabla_\theta L_i, v
    \rangle` of per-sample losses by a central difference.

    .. math:: \frac{L_i(\theta + h v) - L_i(\theta - h v)}{2 h}, \qquad
        h = \frac{\text{step}}{\lVert v \rVert},

    two forward passes without a graph: on CPU about half the time of the
    forward-mode pass (:func:`loss_directional_derivative`), whose tangents
    double every convolution and make BatchNorm several times dearer. The
    error is :math:`O(h^2)` (plus rounding of order
    :math:`10^{-7} / \text{step}` in float32); at the default step it is
    about :math:`10^{-4}` of the products on the Fashion-MNIST ResNet-8,
    the step DARTS takes for the same kind of product (Liu et al., ICLR
    2019).

    Args:
        loss_fn (Callable): Maps parameters by name to per-sample losses
            ``(N, )``; called twice, without a graph.
        params (dict[str, torch.Tensor]): :math:`\theta` by name.
        tangents (Sequence[torch.Tensor]): :math:`v`, one per parameter, in
            ``params``' order.
        step (float): The step :math:`h \lVert v \rVert > 0` in parameter
            space. Defaults to 1e-2.

    Returns:
        torch.Tensor: The products, shape ``(N, )``.
    """
    step = check_number(
        'loss_central_difference', 'step', step, 0, low_inclusive=False)
    with torch.no_grad():
        # A tensor, not a Python float: no host sync on the hot path.
        norm = torch.sqrt(sum((t.double()**2).sum() for t in tangents))
        nonzero = norm > 0
        # No direction (norm 0): every product is 0; h = 0 keeps the
        # parameters finite and the result is masked below.
        h = torch.where(nonzero, step / norm, torch.zeros_like(norm))
        plus, minus = (
            loss_fn({
                name: p.detach() + sign * h.to(p) * t.to(p)
                for (name, p), t in zip(params.items(), tangents)
            }) for sign in (1, -1))
        diff = (plus - minus) / (2 * h).to(plus)
        return torch.where(nonzero, diff, torch.zeros_like(diff))


def epsilon_gradient(losses: torch.Tensor,
                     class_weight: Optional[torch.Tensor],
                     params: Params,
                     loss_fn: Callable[[Params], torch.Tensor],
                     dev_loss_fn: Callable[[Params], torch.Tensor],
                     lr: float,
                     directional_derivative: str = 'central_difference',
                     difference_step: float = 1e-2,
                     lookahead_reduction: str = 'mean') -> torch.Tensor:
    r""":math:`\nabla_\epsilon` of the development loss after a look-ahead.

    With :math:`\epsilon = 0` the look-ahead is
    :math:`\tilde\theta = \theta - \eta g`,
    :math:`g = \nabla_\theta \frac{1}{|B|}\sum_i w_{y_i} L_i`, and, as
    :math:`\partial\tilde\theta / \partial\epsilon_i = -\frac{\eta}{|B|}
    \nabla_\theta L_i(\theta)`,

    .. math:: \nabla_{\epsilon_i} L_D(\tilde\theta) = -\frac{\eta}{|B|}
        \langle \nabla_\theta L_i(\theta), \nabla L_D(\tilde\theta)
        \rangle,

    the gradient of Algorithm 1, line 13 (``lookahead_reduction='mean'``;
    with ``'sum'``, the authors' code, :math:`g` is the gradient of the
    sum and the :math:`1/|B|` factors are gone). It is computed as a
    backward for :math:`g` (the graph of ``losses`` is kept for the real
    update), a forward/backward of the development batch at
    :math:`\tilde\theta`, and the products: exactly by one forward-mode pass
    (:func:`loss_directional_derivative`), or by a central difference of
    two forward passes (:func:`loss_central_difference`, relative error
    about :math:`10^{-4}`, half the time on CPU). Under ``torch.distributed``
    :math:`g` and :math:`\nabla L_D` are averaged over ranks and
    :math:`|B|` is the global batch (the ranks' equal batches together).

    Under autocast all of it runs with autocast off, in the parameters'
    precision, and :math:`g` comes from a second forward of ``loss_fn``
    (the autocast graph of ``losses`` would give half-precision
    gradients without loss scaling).

    Args:
        losses (torch.Tensor): Per-sample training losses
            :math:`L_i(\theta)`, shape ``(N, )``, with their graph.
        class_weight (torch.Tensor, optional): :math:`w_{y_i}` of every
            sample, shape ``(N, )``; None for no class weights (L2RW: the
            look-ahead loss :math:`\sum_i \epsilon_i L_i` is 0 at
            :math:`\epsilon = 0`, so :math:`\tilde\theta = \theta`).
        params (dict[str, torch.Tensor]): The trainable parameters
            :math:`\theta` by name.
        loss_fn (Callable): Maps parameters by name to the per-sample
            training losses (the computation of ``losses``, re-run with
            other parameters).
        dev_loss_fn (Callable): Maps parameters by name to the mean loss of
            this rank's development batch.
        lr (float): The look-ahead step size :math:`\eta`.
        directional_derivative (str): How the products are computed:
            ``'central_difference'`` or ``'forward_ad'`` (exact).
            Defaults to ``'central_difference'``.
        difference_step (float): The step of the central difference in
            parameter space (see :func:`loss_central_difference`).
            Defaults to 1e-2.
        lookahead_reduction (str): ``'mean'`` (Algorithm 1) or ``'sum'``
            (the authors' code) over the global batch.
            Defaults to ``'mean'``.

    Returns:
        torch.Tensor: :math:`\nabla_\epsilon`, shape ``(N, )``, detached,
        in the parameters' precision.
    """
    owner = 'epsilon_gradient'
    check_choice(owner, 'directional_derivative', directional_derivative,
                 DIRECTIONAL_DERIVATIVES)
    check_choice(owner, 'lookahead_reduction', lookahead_reduction,
                 LOOKAHEAD_REDUCTIONS)
    names = list(params)
    batch = losses.numel() * world_size()
    # The look-ahead moves by lookahead_lr times the global mean's
    # gradient g, and d theta~ / d eps_i = -eta_eff grad L_i.
    summed = lookahead_reduction == 'sum'
    lookahead_lr = lr * batch if summed else lr
    eta_eff = lr if summed else lr / batch
    device_type = losses.device.type
    amp = autocast_enabled(device_type)  # read before turning it off
    with autocast_off(device_type):
        if class_weight is None:
            lookahead = {n: params[n].detach() for n in names}
        else:
            if amp:
                # The autocast graph would give half-precision gradients.
                full, retain = loss_fn(params), False
            else:
                full, retain = losses, True
            weight = class_weight.detach().to(full.dtype)
            grads = torch.autograd.grad(
                (weight * full).mean(), [params[n] for n in names],
                retain_graph=retain,
                allow_unused=True)
            grads = average_across_ranks([
                torch.zeros_like(params[n]) if g is None else g
                for n, g in zip(names, grads)
            ])
            lookahead = look_ahead({n: params[n].detach()
                                    for n in names}, grads, lookahead_lr)
        lookahead = {n: p.requires_grad_() for n, p in lookahead.items()}
        dev_grads = torch.autograd.grad(
            dev_loss_fn(lookahead), [lookahead[n] for n in names],
            allow_unused=True)
        dev_grads = average_across_ranks([
            torch.zeros_like(lookahead[n]) if g is None else g
            for n, g in zip(names, dev_grads)
        ])
        if directional_derivative == 'forward_ad':
            products = loss_directional_derivative(loss_fn, params, dev_grads)
        else:
            products = loss_central_difference(loss_fn, params, dev_grads,
                                               difference_step)
    return (-eta_eff * products).expand(losses.shape).detach()


def meta_sample_weights(eps_grad: torch.Tensor,
                        class_weight: torch.Tensor,
                        meta_lr: float,
                        variant: str = 'class_balanced') -> torch.Tensor:
    r"""The sample weights of the real update from :math:`\nabla_\epsilon`.

    - ``'class_balanced'`` (Jamal et al.): :math:`w_{y_i} + \epsilon_i` with
      :math:`\epsilon_i = -\tau \nabla_{\epsilon_i}` (one step from 0; not
      clipped, not normalised). :math:`\tau = 0` gives the class-balanced
      weights.
    - ``'l2rw'`` (Ren et al.): :math:`\max(-\nabla_{\epsilon_i}, 0)`
      normalised to sum to one over the (global) batch, all zeros if every
      entry is clipped; returned times the global batch size, since the
      caller averages over the batch. ``class_weight`` and ``meta_lr`` are
      unused.

    Args:
        eps_grad (torch.Tensor): :math:`\nabla_\epsilon`, shape ``(N, )``.
        class_weight (torch.Tensor): :math:`w_{y_i}`, shape ``(N, )``.
        meta_lr (float): :math:`\tau \ge 0`.
        variant (str): ``'class_balanced'`` or ``'l2rw'``.
            Defaults to ``'class_balanced'``.

    Returns:
        torch.Tensor: The weights, shape ``(N, )``, detached.
    """
    owner = 'meta_sample_weights'
    check_choice(owner, 'variant', variant, VARIANTS)
    meta_lr = check_number(owner, 'meta_lr', meta_lr, 0)
    eps_grad = eps_grad.detach()
    if variant == 'class_balanced':
        return class_weight.detach() - meta_lr * eps_grad
    clipped = (-eps_grad).clamp(min=0)
    total = sum_across_ranks(clipped.sum())
    count = sum_across_ranks(
        torch.tensor(float(clipped.numel()), device=clipped.device))
    # On the device (no host read of `total` per step): the zeros of an
    # all-clipped batch are selected, not branched to; the 0/0 of that case
    # is discarded by the where.
    scale = torch.where(total <= 0, torch.zeros_like(total),
                        count.to(clipped) / total)
    return clipped * scale


def meta_reweighted_loss(losses: torch.Tensor,
                         class_weight: torch.Tensor,
                         params: Params,
                         loss_fn: Callable[[Params], torch.Tensor],
                         dev_loss_fn: Callable[[Params], torch.Tensor],
                         lr: float,
                         meta_lr: float,
                         variant: str = 'class_balanced',
                         directional_derivative: str = 'central_difference',
                         difference_step: float = 1e-2,
                         lookahead_reduction: str = 'mean') -> dict:
    r"""The loss of the real update (Algorithm 1, lines 8-14).

    Args:
        losses (torch.Tensor): Per-sample losses :math:`L_i(\theta)`,
            shape ``(N, )``.
        class_weight (torch.Tensor): :math:`w_{y_i}`, shape ``(N, )``.
        params (dict[str, torch.Tensor]): Trainable parameters by name.
        loss_fn (Callable): Parameters by name -> per-sample training
            losses (the computation of ``losses``).
        dev_loss_fn (Callable): Parameters by name -> development loss.
        lr (float): The look-ahead step size :math:`\eta`.
        meta_lr (float): :math:`\tau`.
        variant (str): ``'class_balanced'`` or ``'l2rw'``.
            Defaults to ``'class_balanced'``.
        directional_derivative (str): See :func:`epsilon_gradient`.
            Defaults to ``'central_difference'``.
        difference_step (float): See :func:`epsilon_gradient`.
            Defaults to 1e-2.
        lookahead_reduction (str): ``'mean'`` or ``'sum'``, see
            :func:`epsilon_gradient`. Defaults to ``'mean'``.

    Returns:
        dict: ``loss`` (:math:`\frac{1}{|B|}\sum_i v_i L_i` with the
        detached weights :math:`v`) and ``weight`` (:math:`v`).
    """
    # L2RW's look-ahead has no class weights: the loss is sum eps_i L_i.
    inner_weight = class_weight if variant == 'class_balanced' else None
    eps_grad = epsilon_gradient(losses, inner_weight, params, loss_fn,
                                dev_loss_fn, lr, directional_derivative,
                                difference_step, lookahead_reduction)
    weight = meta_sample_weights(eps_grad, class_weight, meta_lr, variant)
    return dict(loss=(weight * losses).mean(), weight=weight)
