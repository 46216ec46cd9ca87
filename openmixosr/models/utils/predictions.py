"""Turn one forward pass into mmpretrain predictions that keep what open-set scores need: logits and pooled features.

Post-hoc open-set scores (``openmixosr.evaluation.scores``) read the raw logits (MLS, energy, ...) and the pooled
features, the input of the head's final linear layer (KNN, Mahalanobis, ViM; ReAct, ASH and DICE recompute the
logits from them through :func:`final_linear_of`). Both come from the one forward pass of ``predict``.
"""
from typing import List, Optional, Sequence, Tuple

import torch
from mmpretrain.structures import DataSample
from torch import nn


def attach_predictions(logits: torch.Tensor,
                       data_samples: Optional[List[DataSample]] = None,
                       features: Optional[torch.Tensor] = None) -> List[DataSample]:
    """Store ``pred_score`` (softmax), ``pred_label``, the raw ``pred_logits`` and the ``pred_features`` per row.

    Open-set scores such as the maximum logit (MLS) or the energy need the logits, which mmpretrain's heads drop after
    the softmax; feature-space scores need the pooled features. :class:`~openmixosr.evaluation.OpenSetEvaluator`
    reads ``pred_logits`` and, when present, ``pred_features``.

    Args:
        logits (Tensor): Classifier outputs of shape [N, K].
        data_samples (list[DataSample], optional): Samples to fill; new ones are made when None.
        features (Tensor, optional): Pooled features of shape [N, D], the input of the final linear layer
            (``logits = features @ W.T + b``). Stored as float32 ``pred_features`` when given.

    Returns:
        list[DataSample]: The filled samples.
    """
    logits = logits.detach()
    if features is not None:
        features = features.detach().float()
        if features.dim() != 2 or features.size(0) != logits.size(0):
            raise ValueError(f'features must have shape [N, D] with N = {logits.size(0)} (the logits\' rows), got '
                             f'{tuple(features.shape)}.')
    scores = torch.softmax(logits, dim=1)
    labels = scores.argmax(dim=1, keepdim=True)
    if data_samples is None:
        data_samples = [DataSample() for _ in range(logits.size(0))]
    for row, (sample, sample_logits, score, label) in enumerate(zip(data_samples, logits, scores, labels)):
        sample.set_pred_score(score).set_pred_label(label)
        sample.set_field(sample_logits, 'pred_logits', field_type='data')
        if features is not None:
            sample.set_field(features[row], 'pred_features', field_type='data')
    return data_samples


def head_features_and_logits(head: nn.Module, neck_outputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor,
                                                                                              torch.Tensor]:
    """The pooled features (the head's ``pre_logits``: the input of its final linear layer) and the logits.

    Args:
        head (nn.Module): An mmpretrain classification head with ``pre_logits`` (e.g. ``LinearClsHead``).
        neck_outputs (Sequence[Tensor]): What the head's ``forward`` takes (the neck's outputs).

    Returns:
        tuple[Tensor, Tensor]: Features [N, D] and logits [N, C].
    """
    return head.pre_logits(neck_outputs), head(neck_outputs)


def final_linear_of(head: nn.Module):
    """The final linear layer of a classification head as numpy arrays: ``logits = features @ weight.T + bias``.

    Args:
        head (nn.Module): A head whose last layer is the ``nn.Linear`` named ``fc`` (mmpretrain's
            ``LinearClsHead``), applied to its ``pre_logits``.

    Returns:
        FinalLinear: ``weight`` [C, D] and ``bias`` [C], float32 copies on the CPU (zeros when ``fc`` has no bias).

    Raises:
        TypeError: When the head has no ``nn.Linear`` named ``fc``.
    """
    from openmixosr.evaluation.scores import FinalLinear  # the evaluation package builds on the models, not back

    linear = getattr(head, 'fc', None)
    if not isinstance(linear, nn.Linear):
        raise TypeError(f'Open-set scores that re-weight features need the final linear layer of the head, an '
                        f'nn.Linear named `fc` (mmpretrain\'s LinearClsHead); {type(head).__name__} has none.')
    weight = linear.weight.detach().float().cpu().numpy().copy()
    bias = (linear.bias.detach().float().cpu().numpy().copy()
            if linear.bias is not None else torch.zeros(linear.out_features).numpy())
    return FinalLinear(weight=weight, bias=bias)
