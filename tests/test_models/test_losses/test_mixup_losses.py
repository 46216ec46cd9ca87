"""Mixup cross-entropy and the pairwise (two-class) BCE against direct computations."""
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import (MixupCrossEntropyLoss, PairwiseMixupBCELoss, mixup_cross_entropy,
                                      pairwise_mixup_bce)
from openmixosr.registry import MODELS


@pytest.fixture
def batch():
    torch.manual_seed(0)
    logits = torch.randn(6, 5) * 3
    labels = torch.tensor([0, 1, 2, 3, 4, 1])
    index = torch.tensor([1, 2, 3, 4, 5, 0])  # all pairs of different classes
    return logits, labels, index


def test_mixup_cross_entropy_matches_two_cross_entropies(batch):
    logits, labels, index = batch
    lam = 0.3
    expected = lam * F.cross_entropy(logits, labels) + (1 - lam) * F.cross_entropy(logits, labels[index])
    torch.testing.assert_close(mixup_cross_entropy(logits, labels, index, lam), expected)
    # ... which is the cross-entropy against the mixed soft label.
    soft = lam * F.one_hot(labels, 5) + (1 - lam) * F.one_hot(labels[index], 5)
    torch.testing.assert_close(mixup_cross_entropy(logits, labels, index, lam),
                               -(soft * logits.log_softmax(dim=1)).sum(dim=1).mean())


def test_mixup_cross_entropy_per_sample_lam(batch):
    logits, labels, index = batch
    lam = torch.tensor([0.0, 0.2, 0.5, 0.7, 1.0, 0.9])
    ce_i = F.cross_entropy(logits, labels, reduction='none')
    ce_j = F.cross_entropy(logits, labels[index], reduction='none')
    expected = (lam * ce_i + (1 - lam) * ce_j).mean()
    torch.testing.assert_close(mixup_cross_entropy(logits, labels, index, lam), expected)


def _direct_pairwise_bce(logits, labels, index, lam):
    prob = logits.softmax(dim=1)
    rows = torch.arange(len(labels))
    p_i, p_j = prob[rows, labels], prob[rows, labels[index]]
    loss = -lam * torch.log(p_i / (p_i + p_j)) - (1 - lam) * torch.log(p_j / (p_i + p_j))
    return torch.where(labels == labels[index], torch.zeros_like(loss), loss).mean()


def test_pairwise_bce_matches_softmax_probabilities(batch):
    logits, labels, index = batch
    logits = logits.double()
    for lam in (0.0, 0.25, 0.8, torch.linspace(0, 1, 6, dtype=torch.double)):
        torch.testing.assert_close(pairwise_mixup_bce(logits, labels, index, lam),
                                   _direct_pairwise_bce(logits, labels, index, lam))


def test_pairwise_bce_ignores_the_other_classes(batch):
    logits, labels, index = batch
    shifted = logits.clone()
    others = torch.ones_like(logits, dtype=torch.bool)
    others[torch.arange(6), labels] = False
    others[torch.arange(6), labels[index]] = False
    shifted[others] += 50.0  # only the two mixed classes matter
    torch.testing.assert_close(pairwise_mixup_bce(shifted, labels, index, 0.4),
                               pairwise_mixup_bce(logits, labels, index, 0.4))


def test_pairwise_bce_same_class_pairs_contribute_zero():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.5], [1.0, 3.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1])
    index = torch.tensor([1, 0, 0])  # pairs (0, 0), (0, 0), (1, 0)
    loss = pairwise_mixup_bce(logits, labels, index, 0.3)
    z_i, z_j = torch.tensor(3.0), torch.tensor(1.0)  # sample 2: class 1 with class 0
    norm = torch.logaddexp(z_i, z_j)
    expected = (-(0.3 * (z_i - norm)) - 0.7 * (z_j - norm)) / 3  # mean over all three samples
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert torch.equal(logits.grad[:2], torch.zeros(2, 2))


def test_pairwise_bce_is_stable_for_huge_logits():
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    labels, index = torch.tensor([0, 1]), torch.tensor([1, 0])
    loss = pairwise_mixup_bce(logits, labels, index, 0.5)
    loss.backward()
    # Each sample puts all mass on its own class: 0.5 * 2e4 each.
    torch.testing.assert_close(loss, torch.tensor(1e4))
    assert torch.isfinite(logits.grad).all()


def test_registered_loss_modules_apply_the_weight(batch):
    logits, labels, index = batch
    mce = MODELS.build(dict(type='MixupCrossEntropyLoss', loss_weight=2.0))
    bce = MODELS.build(dict(type='PairwiseMixupBCELoss'))
    assert isinstance(mce, MixupCrossEntropyLoss) and isinstance(bce, PairwiseMixupBCELoss)
    torch.testing.assert_close(mce(logits, labels, index, 0.6), 2 * mixup_cross_entropy(logits, labels, index, 0.6))
    torch.testing.assert_close(bce(logits, labels, index, 0.6), pairwise_mixup_bce(logits, labels, index, 0.6))
