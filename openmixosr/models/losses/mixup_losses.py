"""Objectives on mixed samples: mixup cross-entropy (AMix Eq. 3) and the parametric pairwise BCE (AMix Sec. 3.3).

Both take the logits of the mixed batch, the labels of the raw batch, the pairing ``index`` (``y_j = labels[index]``)
and ``lam``, a float for the whole batch or a tensor [N] with one value per sample (e.g. a learned mask's shares).
The registered wrappers let a config choose the Mix Block objective, e.g.
``mixer=dict(type='LearnedMaskMixer', objective=dict(type='MixupCrossEntropyLoss'))``; they name their arguments in
``mixup_inputs`` (see :mod:`~openmixosr.models.losses.contrastive_mixup_losses`). Docs: docs/automix.md and
docs/selfsup.md, Method reference.
"""
from typing import Union

import torch
import torch.nn as nn

from openmixosr.registry import MODELS
from ..utils.mixing import check_lam, mixed_soft_label
from .precision import at_least_float32
from .soft_target import soft_target_cross_entropy


def _lam_tensor(lam: Union[float, torch.Tensor], reference: torch.Tensor) -> torch.Tensor:
    """``lam`` checked (:func:`~openmixosr.models.utils.mixing.check_lam`, N = ``reference.size(0)``) and as a tensor
    of the reference's dtype and device that broadcasts over the batch: 0-dim, or a vector [N]."""
    return torch.as_tensor(check_lam(lam, reference.size(0)), dtype=reference.dtype, device=reference.device)


def _partner_labels(logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor):
    """Labels of the partners ``y_j = labels[index]`` after checking the shapes."""
    if logits.dim() != 2 or labels.shape != (logits.size(0), ) or index.shape != (logits.size(0), ):
        raise ValueError(f'expected logits [N, K], labels [N] and index [N], got {tuple(logits.shape)}, '
                         f'{tuple(labels.shape)} and {tuple(index.shape)}')
    return labels[index]


def mixup_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor,
                        lam: Union[float, torch.Tensor]) -> torch.Tensor:
    """Mixup cross-entropy (AMix Eq. 3 with the linear label mixup): ``MCE = lam CE(p, y_i) + (1 - lam) CE(p, y_j)``.

    ``p = softmax(logits)`` on the mixed sample, ``y_j = labels[index]``; computed as the cross-entropy to the
    mixed soft label ``lam * onehot(y_i) + (1 - lam) * onehot(y_j)`` (:func:`soft_target_cross_entropy`).

    Args:
        logits (Tensor): Logits of the mixed batch, [N, K].
        labels (LongTensor): Labels of the raw batch, [N].
        index (LongTensor): Pairing, [N].
        lam (float | Tensor): Weight of ``y_i``: one float, or a tensor [N] (per sample).

    Returns:
        Tensor: The loss averaged over the batch (a scalar).
    """
    _partner_labels(logits, labels, index)
    return soft_target_cross_entropy(logits, mixed_soft_label(labels, index, lam, logits.size(1)))


def pairwise_mixup_bce(logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor,
                       lam: Union[float, torch.Tensor]) -> torch.Tensor:
    """Parametric binary cross-entropy over the two mixed classes only ("pBCE", AMix Sec. 3.3, unnumbered).

    ``L = -lam * log(p_i / (p_i + p_j)) - (1 - lam) * log(p_j / (p_i + p_j))`` with ``p_i``, ``p_j`` the softmax
    probabilities of classes ``y_i`` and ``y_j``. The softmax normaliser cancels, so it is computed stably from the two
    logits: ``log(p_i / (p_i + p_j)) = z_i - logaddexp(z_i, z_j)``; the other classes play no part.

    Pairs of the same class (``y_i == y_j``) contribute 0: both targets are the same class, there is nothing to
    separate, and the formula would give the constant ``log 2`` with no gradient anyway. The mean is over the whole
    batch (such pairs count as zeros), so the loss never divides by a count of valid pairs that may be 0.

    Args:
        logits (Tensor): Logits of the mixed batch, [N, K].
        labels (LongTensor): Labels of the raw batch, [N].
        index (LongTensor): Pairing, [N].
        lam (float | Tensor): Weight of ``y_i``: one float, or a tensor [N] (per sample).

    Returns:
        Tensor: The loss averaged over the batch (a scalar), computed in at least float32.
    """
    logits = at_least_float32(logits)
    labels_j = _partner_labels(logits, labels, index)
    z_i = logits.gather(1, labels[:, None]).squeeze(1)
    z_j = logits.gather(1, labels_j[:, None]).squeeze(1)
    log_norm = torch.logaddexp(z_i, z_j)
    lam = _lam_tensor(lam, logits)
    loss = -lam * (z_i - log_norm) - (1 - lam) * (z_j - log_norm)
    loss = torch.where(labels == labels_j, torch.zeros_like(loss), loss)
    return loss.mean()


class _LabelMixupLoss(nn.Module):
    """A mixup loss on class logits as a module: ``loss_weight * loss_function(logits, labels, index, lam)``.

    A subclass sets ``loss_function``, one of the functions above; the inputs it declares in ``mixup_inputs`` are the
    arguments of those functions.
    """

    mixup_inputs = ('logits', 'labels', 'index', 'lam')

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    @staticmethod
    def loss_function(logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor,
                      lam: Union[float, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor,
                lam: Union[float, torch.Tensor]) -> torch.Tensor:
        return self.loss_weight * self.loss_function(logits, labels, index, lam)


@MODELS.register_module()
class MixupCrossEntropyLoss(_LabelMixupLoss):
    """Module form of :func:`mixup_cross_entropy` (``lam * CE(p, y_i) + (1 - lam) * CE(p, y_j)``).

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    loss_function = staticmethod(mixup_cross_entropy)


@MODELS.register_module()
class PairwiseMixupBCELoss(_LabelMixupLoss):
    """Module form of :func:`pairwise_mixup_bce` (AMix's parametric BCE over the two mixed classes).

    Args:
        loss_weight (float): Factor applied to the loss. Defaults to 1.0.
    """

    loss_function = staticmethod(pairwise_mixup_bce)
