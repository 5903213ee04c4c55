# Copyright (c) mmlt contributors. All rights reserved.
r"""The gradual schedule of GLAG (Zhang & Xiang, 2022).

`Long-Tailed Classification with Gradual Balanced Loss and Adaptive Feature
Generation <https://arxiv.org/abs/2203.00452>`_ raises the logit-adjustment
strength of its Gradual Balanced Loss (and, in stage two, the weight of the
distillation loss) smoothly from zero to its final value as training
progresses (t/T, t the current epoch and T the number of epochs), in a
concave, linear or convex form; the convex form worked best: it moves
slowly while the (cosine) learning rate is large and fast near the end.

With :math:`x = t/T \in [0, 1]` and a power :math:`p \ge 1`:

- ``'convex'``: :math:`s(x) = x^p` (slow start, fast end);
- ``'linear'``: :math:`s(x) = x`;
- ``'concave'``: :math:`s(x) = 1 - (1 - x)^p`, the convex curve mirrored
  through the point (1/2, 1/2) (fast start, slow end).

All three rise monotonically from :math:`s(0) = 0` to :math:`s(1) = 1`;
``p = 1`` makes both curved forms linear and a larger ``p`` bends them more.
The scaled value is :math:`\tau(t) = \tau_{final} \cdot s(t/T)`
(``GradualScheduleHook``).
"""
import math

from ..losses.utils import check_choice

#: The schedule forms, in the paper's words.
SCHEDULE_FORMS = ('concave', 'linear', 'convex')


def check_schedule_args(owner: str, form: str, power: float) -> float:
    """Validate the form and power of :func:`gradual_schedule`.

    Args:
        owner (str): Who asks (a class or function name), used in messages.
        form (str): One of ``'concave'``, ``'linear'``, ``'convex'``.
        power (float): The power :math:`p`, a finite number ``>= 1``.

    Returns:
        float: The power as a float.
    """
    check_choice(owner, 'form', form, SCHEDULE_FORMS)
    if isinstance(power, bool):
        raise TypeError(f'{owner}: `power` must be a number >= 1, got '
                        f'{power!r}.')
    try:
        power = float(power)
    except (TypeError, ValueError):
        raise TypeError(f'{owner}: `power` must be a number >= 1, got '
                        f'{power!r}.') from None
    # p < 1 would swap the shapes (x^0.5 is concave): one name, one shape.
    if not math.isfinite(power) or power < 1:
        raise ValueError(f'{owner}: `power` must be a finite number >= 1 '
                         f'(1 is linear, larger bends the {form} curve '
                         f'more), got {power!r}.')
    return power


def gradual_schedule(progress: float,
                     form: str = 'convex',
                     power: float = 2.0) -> float:
    """The gradual schedule :math:`s(t/T)`, rising from 0 to 1.

    Args:
        progress (float): The training progress :math:`t/T` in ``[0, 1]``.
        form (str): ``'concave'``, ``'linear'`` or ``'convex'``.
            Defaults to ``'convex'`` (the paper's best).
        power (float): The power :math:`p >= 1` of the curved forms (unused
            by ``'linear'``). Defaults to 2.0.

    Returns:
        float: The schedule value in ``[0, 1]``.
    """
    power = check_schedule_args('gradual_schedule', form, power)
    if isinstance(progress, bool):
        raise TypeError(f'gradual_schedule: `progress` must be a number in '
                        f'[0, 1], got {progress!r}.')
    try:
        x = float(progress)
    except (TypeError, ValueError):
        raise TypeError(f'gradual_schedule: `progress` must be a number in '
                        f'[0, 1], got {progress!r}.') from None
    if not 0.0 <= x <= 1.0:  # also rejects NaN
        raise ValueError(f'gradual_schedule: `progress` (t/T) must lie in '
                         f'[0, 1], got {progress!r}; clamp it or check the '
                         f'total length T.')
    if form == 'linear':
        return x
    if form == 'convex':
        return x**power
    return 1.0 - (1.0 - x)**power
