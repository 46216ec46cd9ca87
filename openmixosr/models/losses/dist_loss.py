"""DIST (Huang et al. 2022), the distillation discrepancy of the asymmetric distillation method (``L_Distill`` of
asymmetric distillation Eq. 4 and Eq. 8; docs/asymmetric_distillation.md, Method reference).

DIST matches the *relations* between the student's and the teacher's probabilities instead of the probabilities:

    y_s = softmax(z_s / tau),  y_t = softmax(z_t / tau)                   [N, K]
    rho(a, b) = cos(a - mean(a), b - mean(b))   (Pearson correlation, eps = 1e-8)
    inter = 1 - mean_i rho(y_s[i, :], y_t[i, :])   (each sample across classes)
    intra = 1 - mean_c rho(y_s[:, c], y_t[:, c])   (each class across the batch)
    DIST = tau^2 * (beta * inter + gamma * intra)

Pearson correlation is invariant to a positive scale and a shift of either argument, so ``inter`` does not change when
a row of the probabilities is scaled, nor ``intra`` when a column is. A zero-variance vector (a batch of one sample for
``intra``, a uniform row for ``inter``) has correlation 0 with everything: with N = 1, ``intra`` is the constant 1
(no gradient), so DIST of identical logits is ``tau^2 * gamma`` there, not 0.

With sample weights ``w`` [N] (the cross mutual information with one lam per sample, a learned mask's share), the
means over samples become weighted: ``inter = 1 - sum_i w_i rho_i / sum_i w_i`` and ``intra`` uses the weighted
Pearson correlation ``rho_w(a, b) = sum_i w_i a'_i b'_i / sqrt(sum_i w_i a'_i^2 * sum_i w_i b'_i^2)`` with
``a' = a - sum_i w_i a_i / sum_i w_i``. Equal weights give DIST exactly.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from openmixosr.registry import MODELS
from .precision import at_least_float32

PEARSON_EPS = 1e-8


def pearson_correlation(a: torch.Tensor, b: torch.Tensor, dim: int, eps: float = PEARSON_EPS,
                        weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Pearson correlation of ``a`` and ``b`` along ``dim``: the cosine of the mean-centred vectors.

    Args:
        a (Tensor): First tensor, 2-D.
        b (Tensor): Second tensor, same shape as ``a``.
        dim (int): Dimension holding the vectors to correlate.
        eps (float): Guard of the cosine against zero norms (``F.cosine_similarity``). Defaults to 1e-8.
        weights (Tensor, optional): Non-negative weights along ``dim`` (the weighted correlation: weighted means and
            sums; see the module docstring). None: equal weights.

    Returns:
        Tensor: Correlations in [-1, 1], ``dim`` removed.
    """
    if weights is None:
        a = a - a.mean(dim=dim, keepdim=True)
        b = b - b.mean(dim=dim, keepdim=True)
        return F.cosine_similarity(a, b, dim=dim, eps=eps)
    shape = [1, 1]
    shape[dim] = -1
    weights = weights.to(a.dtype).reshape(shape)
    total = weights.sum(dim=dim, keepdim=True)
    a = a - (weights * a).sum(dim=dim, keepdim=True) / total
    b = b - (weights * b).sum(dim=dim, keepdim=True) / total
    root = weights.sqrt()
    return F.cosine_similarity(root * a, root * b, dim=dim, eps=eps)


def dist_from_probabilities(p_s: torch.Tensor, p_t: torch.Tensor, beta: float = 1.0, gamma: float = 1.0,
                            sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """DIST without the temperature: ``beta * inter + gamma * intra`` on probabilities [N, K].

    ``inter = 1 - mean_i rho(p_s[i, :], p_t[i, :])``, ``intra = 1 - mean_c rho(p_s[:, c], p_t[:, c])``. Split from
    :func:`dist_loss` so the relation terms can be checked on hand-made probabilities; nothing is detached here.

    Args:
        p_s (Tensor): Student probabilities, [N, K].
        p_t (Tensor): Teacher probabilities, [N, K].
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        sample_weights (Tensor, optional): Weights [N] of the samples (module docstring); None: equal weights.

    Returns:
        Tensor: A scalar.
    """
    if p_s.dim() != 2 or p_s.shape != p_t.shape:
        raise ValueError(f'expected student and teacher of the same shape [N, K], got {tuple(p_s.shape)} and '
                         f'{tuple(p_t.shape)}')
    if sample_weights is None:
        inter = 1 - pearson_correlation(p_s, p_t, dim=1).mean()
        intra = 1 - pearson_correlation(p_s, p_t, dim=0).mean()
        return beta * inter + gamma * intra
    if sample_weights.shape != (p_s.size(0), ) or bool((sample_weights < 0).any()):
        raise ValueError(f'sample_weights must be non-negative [N={p_s.size(0)}], got {tuple(sample_weights.shape)}')
    weights = sample_weights.to(p_s.dtype)
    inter = 1 - (weights * pearson_correlation(p_s, p_t, dim=1)).sum() / weights.sum()
    intra = 1 - pearson_correlation(p_s, p_t, dim=0, weights=weights).mean()
    return beta * inter + gamma * intra


def dist_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, tau: float = 1.0, beta: float = 1.0,
              gamma: float = 1.0, sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """DIST (Huang et al. 2022): ``tau^2 * (beta * inter + gamma * intra)`` on ``softmax(z / tau)``.

    The teacher logits are detached here, so a teacher in training mode is never updated through this loss. Computed
    in at least float32 (:func:`~openmixosr.models.losses.precision.at_least_float32`).

    Args:
        student_logits (Tensor): Student logits, [N, K].
        teacher_logits (Tensor): Teacher logits, [N, K].
        tau (float): Softmax temperature; the loss is multiplied by ``tau^2``. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        sample_weights (Tensor, optional): Weights [N] of the samples (module docstring); None: equal weights.

    Returns:
        Tensor: A scalar.
    """
    p_s = F.softmax(at_least_float32(student_logits) / tau, dim=1)
    p_t = F.softmax(at_least_float32(teacher_logits.detach()) / tau, dim=1)
    return tau**2 * dist_from_probabilities(p_s, p_t, beta, gamma, sample_weights)


@MODELS.register_module()
class DISTLoss(nn.Module):
    """Module form of :func:`dist_loss`, the default ``L_KD`` of the asymmetric distillation method.

    Args:
        tau (float): Softmax temperature. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, beta: float = 1.0, gamma: float = 1.0, loss_weight: float = 1.0):
        super().__init__()
        if not tau > 0:
            raise ValueError(f'tau must be > 0, got {tau}')
        self.tau = tau
        self.beta = beta
        self.gamma = gamma
        self.loss_weight = loss_weight

    def forward(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.loss_weight * dist_loss(student_logits, teacher_logits, self.tau, self.beta, self.gamma,
                                            sample_weights)
