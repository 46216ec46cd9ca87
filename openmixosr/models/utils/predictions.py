"""Turn logits into mmpretrain predictions that keep the raw logits for open-set scoring."""
from typing import List, Optional

import torch
from mmpretrain.structures import DataSample


def attach_predictions(logits: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
    """Store ``pred_score`` (softmax), ``pred_label`` and the raw ``pred_logits`` in one data sample per row.

    Open-set scores such as the maximum logit (MLS) or the energy need the logits, which mmpretrain's heads drop after
    the softmax; :class:`~openmixosr.evaluation.OpenSetEvaluator` reads ``pred_logits``.

    Args:
        logits (Tensor): Classifier outputs of shape [N, K].
        data_samples (list[DataSample], optional): Samples to fill; new ones are made when None.

    Returns:
        list[DataSample]: The filled samples.
    """
    logits = logits.detach()
    scores = torch.softmax(logits, dim=1)
    labels = scores.argmax(dim=1, keepdim=True)
    if data_samples is None:
        data_samples = [DataSample() for _ in range(logits.size(0))]
    for sample, sample_logits, score, label in zip(data_samples, logits, scores, labels):
        sample.set_pred_score(score).set_pred_label(label)
        sample.set_field(sample_logits, 'pred_logits', field_type='data')
    return data_samples
