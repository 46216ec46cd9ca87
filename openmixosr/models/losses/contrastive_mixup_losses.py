"""Objectives on cross-view mixed samples for self-supervised AMix: mixup infoNCE (AMix Eq. 4), non-parametric BCE
(AMix Eq. 6). Docs: docs/selfsup.md, Method reference.

Notation: a batch of N instances, each seen in two augmented views. ``query`` [N, D] are the L2-normalised embeddings
of the mixed samples ``x_mix_i = s * x1_i + (1 - s) * x1_{j(i)}`` (made from the first view of each instance),
``keys`` [N, D] the L2-normalised momentum-encoder embeddings of the *other* view ``x2`` of every instance, ``index``
the pairing ``j`` and ``lam`` the weight of instance ``i``. The positives of ``x_mix_i`` are ``keys[i]`` (weight lam)
and ``keys[j(i)]`` (weight 1 - lam); the MoCo queue ``queue`` [D, K] holds the negatives.

Each registered loss names the arguments it takes in ``mixup_inputs``; a model calls it with those, by name, so any
loss can be a term of a Mix Block objective (see ``MoCoAMix(mix_block_losses=...)``).
"""
from typing import Union

import torch
import torch.nn as nn

from openmixosr.registry import MODELS
from .mixup_losses import _lam_tensor
from .precision import at_least_float32


def _check_shapes(query: torch.Tensor, keys: torch.Tensor, index: torch.Tensor) -> None:
    if query.dim() != 2 or keys.shape != query.shape or index.shape != (query.size(0), ):
        raise ValueError(f'expected query [N, D], keys [N, D] and index [N], got {tuple(query.shape)}, '
                         f'{tuple(keys.shape)} and {tuple(index.shape)}')


def queue_info_nce(query: torch.Tensor, positives: torch.Tensor, queue: torch.Tensor,
                   temperature: float) -> torch.Tensor:
    """Per-sample infoNCE (MoCo): ``-log(exp(q.k+ / t) / (exp(q.k+ / t) + sum_n exp(q.n / t)))``.

    Args:
        query (Tensor): [N, D].
        positives (Tensor): One positive per query, [N, D].
        queue (Tensor): Negatives as columns, [D, K].
        temperature (float): ``t``.

    Returns:
        Tensor: [N] losses, computed in at least float32 from the similarities.
    """
    positive_logits = (query * positives).sum(dim=1, keepdim=True)
    negative_logits = query @ queue
    logits = at_least_float32(torch.cat([positive_logits, negative_logits], dim=1)) / temperature
    return torch.logsumexp(logits, dim=1) - logits[:, 0]


def mixup_info_nce(query: torch.Tensor, keys: torch.Tensor, index: torch.Tensor, lam: Union[float, torch.Tensor],
                   queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mixup infoNCE: ``lam * NCE(q_mix, k_i; queue) + (1 - lam) * NCE(q_mix, k_j; queue)``, averaged over the batch.

    Each positive is contrasted with the queue negatives on its own (the other positive is not a negative), the
    contrastive counterpart of the mixup cross-entropy.

    Args:
        query (Tensor): Embeddings of the mixed samples, [N, D].
        keys (Tensor): Momentum embeddings of the other view of every instance, [N, D].
        index (LongTensor): Pairing ``j``, [N].
        lam (float | Tensor): Weight of instance ``i``: one float or a tensor [N].
        queue (Tensor): Negatives, [D, K].
        temperature (float): infoNCE temperature.

    Returns:
        Tensor: Scalar loss, computed in at least float32.
    """
    _check_shapes(query, keys, index)
    if queue.dim() != 2 or queue.size(0) != query.size(1):
        raise ValueError(f'queue must be [D={query.size(1)}, K], got {tuple(queue.shape)}')
    query, keys, queue = at_least_float32(query), at_least_float32(keys), at_least_float32(queue)
    lam = _lam_tensor(lam, query)
    loss_i = queue_info_nce(query, keys, queue, temperature)
    loss_j = queue_info_nce(query, keys[index], queue, temperature)
    return (lam * loss_i + (1 - lam) * loss_j).mean()


def non_parametric_mixup_bce(query: torch.Tensor, keys: torch.Tensor, index: torch.Tensor,
                             lam: Union[float, torch.Tensor], temperature: float) -> torch.Tensor:
    """Non-parametric BCE over the two mixed instances (the self-supervised form of AMix's pairwise BCE).

    With ``p_i ~ exp(q_mix . k_i / t)`` and ``p_j ~ exp(q_mix . k_j / t)`` (instance "classes" given by the keys
    instead of classifier weights): ``L = -lam * log(p_i / (p_i + p_j)) - (1 - lam) * log(p_j / (p_i + p_j))``.
    A sample paired with itself (``j(i) == i``) contributes 0, as same-class pairs do in the parametric form; the mean
    is over the whole batch.

    Args:
        query (Tensor): Embeddings of the mixed samples, [N, D].
        keys (Tensor): Momentum embeddings of the other view of every instance, [N, D].
        index (LongTensor): Pairing ``j``, [N].
        lam (float | Tensor): Weight of instance ``i``: one float or a tensor [N].
        temperature (float): Temperature ``t`` of the similarities.

    Returns:
        Tensor: Scalar loss, computed in at least float32.
    """
    _check_shapes(query, keys, index)
    query, keys = at_least_float32(query), at_least_float32(keys)
    lam = _lam_tensor(lam, query)
    z_i = (query * keys).sum(dim=1) / temperature
    z_j = (query * keys[index]).sum(dim=1) / temperature
    log_norm = torch.logaddexp(z_i, z_j)
    loss = -lam * (z_i - log_norm) - (1 - lam) * (z_j - log_norm)
    self_paired = index == torch.arange(index.numel(), device=index.device)
    return torch.where(self_paired, torch.zeros_like(loss), loss).mean()


class _TemperatureScaledLoss(nn.Module):
    """A loss on temperature-scaled similarities: checks the temperature, holds the loss weight."""

    def __init__(self, temperature: float, loss_weight: float):
        super().__init__()
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = temperature
        self.loss_weight = loss_weight


@MODELS.register_module()
class MixupInfoNCELoss(_TemperatureScaledLoss):
    """Module form of :func:`mixup_info_nce`.

    Args:
        temperature (float): infoNCE temperature (MoCo v2: 0.2). Defaults to 0.2.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    mixup_inputs = ('query', 'keys', 'index', 'lam', 'queue')

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0):
        super().__init__(temperature, loss_weight)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, index: torch.Tensor, lam: Union[float, torch.Tensor],
                queue: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * mixup_info_nce(query, keys, index, lam, queue, self.temperature)


@MODELS.register_module()
class NonParametricMixupBCELoss(_TemperatureScaledLoss):
    """Module form of :func:`non_parametric_mixup_bce`.

    Args:
        temperature (float): Temperature of the similarities. Defaults to 0.2.
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    mixup_inputs = ('query', 'keys', 'index', 'lam')

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0):
        super().__init__(temperature, loss_weight)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, index: torch.Tensor,
                lam: Union[float, torch.Tensor]) -> torch.Tensor:
        return self.loss_weight * non_parametric_mixup_bce(query, keys, index, lam, self.temperature)
