"""Relabelling of the confusing mixed samples (asymmetric distillation Eq. 7, ``L_relabel``;
docs/asymmetric_distillation.md, Method reference).

A mixed sample is *confusing* when the teacher's prediction on it is neither of its two source classes; the teacher's
output is then no target to distill, and the student is instead trained toward a softened mixed label

    y_u = 0.5 * uniform(1 / C) + 0.5 * y_m,    y_m = lam * onehot(y_i) + (1 - lam) * onehot(y_j)

(the paper). The authors' released code computes this smoothing but trains on the plain ``y_m``: ``smoothing=False``
reproduces it.
"""
from typing import Union

import torch
import torch.nn as nn

from openmixosr.registry import MODELS
from ..utils.mixing import mixed_soft_label
from .soft_target import soft_target_cross_entropy


def relabel_target(labels: torch.Tensor, index: torch.Tensor, lam: Union[float, torch.Tensor], num_classes: int,
                   smoothing: bool = True) -> torch.Tensor:
    """Relabel target ``y_u = 0.5 * uniform(1 / C) + 0.5 * y_m`` (or ``y_m`` itself with ``smoothing=False``).

    Args:
        labels (LongTensor): Labels of the raw batch, [N].
        index (LongTensor): Pairing, [N].
        lam (float | Tensor): Weight of ``y_i``: one float, or a tensor [N].
        num_classes (int): C, the number of known classes.
        smoothing (bool): Mix in the uniform distribution (the paper); False gives the plain mixed label (the
            authors' code). Defaults to True.

    Returns:
        Tensor: Targets [N, C], rows summing to 1.
    """
    target = mixed_soft_label(labels, index, lam, num_classes)
    if smoothing:
        target = 0.5 / num_classes + 0.5 * target
    return target


@MODELS.register_module()
class RelabelLoss(nn.Module):
    """Soft cross-entropy of the student on the confusing mixed samples toward :func:`relabel_target`.

    ``forward(logits, labels, index, lam, confusing_mask)``: ``loss_weight`` times ``-sum_c y_u[n, c] *
    log_softmax(logits)[n, c]`` (:func:`~openmixosr.models.losses.soft_target_cross_entropy`) averaged over the
    samples with ``confusing_mask[n]`` True only (the others are handled by the distillation terms). When no sample
    is confusing the loss is ``logits.sum() * 0``: a zero that is still attached to the graph, so every rank of a DDP
    run sees the same set of used parameters and the logged value is a plain 0.

    The loss carries its weight, ``loss_weight``: ``eta`` of the paper (asymmetric distillation Eq. 8), so Table 7's
    grid is ``relabel_loss=dict(loss_weight=eta)``; the algorithm adds the weighted loss as it is.

    Args:
        smoothing (bool): See :func:`relabel_target`. Defaults to True (the paper).
        loss_weight (float): Factor applied to the loss: ``eta`` of asymmetric distillation Eq. 8. Defaults to 1.0.
    """

    def __init__(self, smoothing: bool = True, loss_weight: float = 1.0):
        super().__init__()
        self.smoothing = smoothing
        self.loss_weight = loss_weight

    def forward(self, logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor,
                lam: Union[float, torch.Tensor], confusing_mask: torch.Tensor) -> torch.Tensor:
        """
        Args:
            logits (Tensor): Student logits on the mixed batch, [N, C].
            labels (LongTensor): Labels of the raw batch, [N].
            index (LongTensor): Pairing, [N].
            lam (float | Tensor): Weight of ``y_i``: one float, or a tensor [N].
            confusing_mask (BoolTensor): [N], True for the confusing samples.

        Returns:
            Tensor: A scalar, ``loss_weight`` times the mean soft cross-entropy over the confusing samples.
        """
        if confusing_mask.dtype != torch.bool or confusing_mask.shape != (logits.size(0), ):
            raise ValueError(f'confusing_mask must be a bool tensor [N={logits.size(0)}], got '
                             f'{confusing_mask.dtype} {tuple(confusing_mask.shape)}')
        if not confusing_mask.any():
            return self.loss_weight * (logits.sum() * 0)
        target = relabel_target(labels, index, lam, logits.size(1), self.smoothing)
        return self.loss_weight * soft_target_cross_entropy(logits[confusing_mask], target[confusing_mask])
