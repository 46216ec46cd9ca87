"""Soft-target cross-entropy (the one written for the mixup losses and the distiller) by hand, with its gradient."""
import math

import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import soft_target_cross_entropy


def test_soft_target_cross_entropy_hand_computed():
    # Row 0: logits (0, ln 3) -> softmax (1/4, 3/4); target (1/2, 1/2): CE = -(ln(1/4) + ln(3/4)) / 2 = ln(16/3) / 2.
    # Row 1: logits (ln 2, 0) -> softmax (2/3, 1/3); target (1, 0): CE = ln(3/2). The result is their mean.
    logits = torch.tensor([[0.0, math.log(3.0)], [math.log(2.0), 0.0]], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([[0.5, 0.5], [1.0, 0.0]], dtype=torch.float64)
    loss = soft_target_cross_entropy(logits, target)
    expected = (math.log(16 / 3) / 2 + math.log(3 / 2)) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-12)
    # d/dz of the mean CE is (softmax - target) / N
    loss.backward()
    torch.testing.assert_close(logits.grad, torch.tensor([[-0.125, 0.125], [-1 / 6, 1 / 6]], dtype=torch.float64))
    # a one-hot target gives the ordinary cross-entropy; the target takes the logits' dtype
    hard = torch.tensor([1, 0])
    torch.testing.assert_close(soft_target_cross_entropy(logits.float(), F.one_hot(hard, 2).double()),
                               F.cross_entropy(logits.float(), hard))
    for bad_logits, bad_target in ((logits, target[:1]), (logits, target[:, :1]), (logits[:0], target[:0])):
        with pytest.raises(ValueError, match='same shape'):
            soft_target_cross_entropy(bad_logits, bad_target)
