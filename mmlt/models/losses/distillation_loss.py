# Copyright (c) mmlt contributors. All rights reserved.
import torch
import torch.nn.functional as F

from .utils import check_number


def kl_distillation(student_logits: torch.Tensor,
                    teacher_logits: torch.Tensor,
                    temperature: float = 1.0) -> torch.Tensor:
    r"""Knowledge distillation :math:`T^2 \, KL(p_t^T \| p_s^T)`, per sample.

    Hinton et al., `Distilling the Knowledge in a Neural Network
    <https://arxiv.org/abs/1503.02531>`_: with :math:`p^T =
    \mathrm{softmax}(z / T)`, the KL divergence of the student's softened
    distribution from the teacher's, scaled by :math:`T^2` so that its
    gradient keeps its size across temperatures. The teacher gets no
    gradient.

    Args:
        student_logits (torch.Tensor): ``(N, C)``.
        teacher_logits (torch.Tensor): ``(N, C)``, detached here.
        temperature (float): :math:`T > 0`. Defaults to 1.0.

    Returns:
        torch.Tensor: ``(N, )`` per-sample losses.
    """
    temperature = check_number(
        'kl_distillation',
        'temperature',
        temperature,
        low=0,
        low_inclusive=False)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f'kl_distillation: student and teacher logits '
                         f'differ in shape: {tuple(student_logits.shape)} vs '
                         f'{tuple(teacher_logits.shape)}.')
    log_p_s = F.log_softmax(student_logits / temperature, dim=1)
    log_p_t = F.log_softmax(teacher_logits.detach() / temperature, dim=1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(1)
    return kl * temperature**2
