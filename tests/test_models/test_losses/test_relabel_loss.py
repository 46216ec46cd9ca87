"""Relabel loss (asymmetric distillation Eq. 7): the smoothed mixed target by hand, and the loss averaged over the
confusing samples only."""
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import RelabelLoss, relabel_target
from openmixosr.models.utils import mixed_soft_label
from openmixosr.registry import MODELS


def test_relabel_target_hand_values():
    labels = torch.tensor([0, 1, 2, 3])
    index = torch.tensor([2, 3, 0, 1])
    target = relabel_target(labels, index, 0.7, num_classes=4)
    torch.testing.assert_close(target[0], torch.tensor([0.125 + 0.35, 0.125, 0.125 + 0.15, 0.125]))
    torch.testing.assert_close(target[1], torch.tensor([0.125, 0.125 + 0.35, 0.125, 0.125 + 0.15]))
    torch.testing.assert_close(target.sum(dim=1), torch.ones(4))
    plain = relabel_target(labels, index, 0.7, num_classes=4, smoothing=False)
    torch.testing.assert_close(plain[0], torch.tensor([0.7, 0.0, 0.3, 0.0]))
    torch.testing.assert_close(plain, mixed_soft_label(labels, index, 0.7, 4))
    # same-class pair: the two one-hots add up
    torch.testing.assert_close(
        relabel_target(torch.tensor([1, 1]), torch.tensor([1, 0]), 0.4, 3), torch.tensor([[1 / 6, 2 / 3, 1 / 6]] * 2))


def test_relabel_loss_averages_over_confusing_samples_only():
    torch.manual_seed(6)
    logits = torch.randn(5, 4, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 3, 0])
    index = torch.tensor([2, 0, 4, 1, 3])
    mask = torch.tensor([True, False, True, False, False])
    loss = MODELS.build(dict(type='RelabelLoss'))
    got = loss(logits, labels, index, 0.7, mask)
    log_p = logits.log_softmax(dim=1)
    y_u = 0.5 * 0.25 + 0.5 * (0.7 * F.one_hot(labels, 4) + 0.3 * F.one_hot(labels[index], 4))
    manual = -(y_u[0] * log_p[0]).sum() - (y_u[2] * log_p[2]).sum()
    torch.testing.assert_close(got, manual / 2)
    got.backward()
    assert logits.grad[[1, 3, 4]].abs().sum() == 0 and logits.grad[[0, 2]].abs().sum() > 0
    plain = RelabelLoss(smoothing=False)(logits, labels, index, 0.7, mask)
    y_m = 0.7 * F.one_hot(labels, 4) + 0.3 * F.one_hot(labels[index], 4)
    torch.testing.assert_close(plain, (-(y_m[[0, 2]] * log_p[[0, 2]]).sum(dim=1)).mean())


def test_relabel_loss_empty_mask_is_differentiable_zero():
    logits = torch.randn(3, 4, requires_grad=True)
    loss = RelabelLoss()(logits, torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0]), 0.5, torch.zeros(3, dtype=bool))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    torch.testing.assert_close(logits.grad, torch.zeros(3, 4))
    with pytest.raises(ValueError, match='confusing_mask'):
        RelabelLoss()(logits, torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0]), 0.5, torch.tensor([1, 0, 0]))
