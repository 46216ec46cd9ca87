"""Mixup infoNCE and non-parametric BCE against hand-written references."""
import math

import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import (MixupInfoNCELoss, NonParametricMixupBCELoss, mixup_info_nce,
                                      non_parametric_mixup_bce, pairwise_mixup_bce, queue_info_nce)


def _unit(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(*shape, generator=generator, dtype=torch.float64), dim=-1)


def test_queue_info_nce_by_hand():
    query = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    positive = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    queue = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)  # columns (0, 1) and (-1, 0)
    t = 0.5
    expected = -math.log(math.exp(0.6 / t) / (math.exp(0.6 / t) + math.exp(0.0 / t) + math.exp(-1.0 / t)))
    assert queue_info_nce(query, positive, queue, t).item() == pytest.approx(expected, rel=1e-12)


def test_queue_info_nce_equals_moco_cross_entropy():
    """mmpretrain's ContrastiveHead: CE over [l_pos, l_neg] / t with target 0."""
    query, keys, queue = _unit(6, 8), _unit(6, 8, seed=1), _unit(16, 8, seed=2).t()
    logits = torch.cat([(query * keys).sum(1, keepdim=True), query @ queue], dim=1) / 0.2
    reference = F.cross_entropy(logits, torch.zeros(6, dtype=torch.long))
    assert queue_info_nce(query, keys, queue, 0.2).mean().item() == pytest.approx(reference.item(), rel=1e-12)


def test_mixup_info_nce_weights_the_two_positives():
    query, keys, queue = _unit(5, 4), _unit(5, 4, seed=1), _unit(7, 4, seed=2).t()
    index = torch.tensor([2, 0, 4, 1, 3])
    lam = 0.3
    expected = sum(lam * queue_info_nce(query[i:i + 1], keys[i:i + 1], queue, 0.1) +
                   (1 - lam) * queue_info_nce(query[i:i + 1], keys[index[i]:index[i] + 1], queue, 0.1)
                   for i in range(5)) / 5
    assert mixup_info_nce(query, keys, index, lam, queue, 0.1).item() == pytest.approx(expected.item(), rel=1e-12)
    # lam = 1: the plain MoCo infoNCE against the instance's own key
    plain = queue_info_nce(query, keys, queue, 0.1).mean()
    assert mixup_info_nce(query, keys, index, 1.0, queue, 0.1).item() == pytest.approx(plain.item(), rel=1e-12)


def test_mixup_info_nce_per_sample_lam_and_gradient():
    query = _unit(4, 3).requires_grad_()
    keys, queue = _unit(4, 3, seed=1), _unit(5, 3, seed=2).t()
    index = torch.tensor([1, 0, 3, 2])
    lam = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=torch.float64)
    torch.autograd.gradcheck(lambda q: mixup_info_nce(q, keys, index, lam, queue, 0.3), (query, ))


def test_non_parametric_bce_is_the_pairwise_bce_of_the_two_similarities():
    query, keys = _unit(6, 5), _unit(6, 5, seed=3)
    index = torch.tensor([3, 4, 5, 0, 1, 2])
    t, lam = 0.2, 0.7
    # parametric form with 'classes' = instances: logits z_ic = q_i . k_c / t, labels = instance ids
    logits = query @ keys.t() / t
    reference = pairwise_mixup_bce(logits, torch.arange(6), index, lam)
    assert non_parametric_mixup_bce(query, keys, index, lam, t).item() == pytest.approx(reference.item(), rel=1e-12)


def test_non_parametric_bce_by_hand_and_self_pairs():
    query = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    keys = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    t, lam = 1.0, 0.25
    # sample 0 paired with 1: z_i = 1, z_j = 0
    p_i = math.exp(1) / (math.exp(1) + 1)
    expected_0 = -lam * math.log(p_i) - (1 - lam) * math.log(1 - p_i)
    expected_1 = -lam * math.log(p_i) - (1 - lam) * math.log(1 - p_i)  # symmetric by construction
    value = non_parametric_mixup_bce(query, keys, torch.tensor([1, 0]), lam, t)
    assert value.item() == pytest.approx((expected_0 + expected_1) / 2, rel=1e-12)
    # a sample mixed with itself has nothing to separate: 0, and the mean still divides by N
    value = non_parametric_mixup_bce(query, keys, torch.tensor([0, 1]), lam, t)
    assert value.item() == 0.0


def test_modules_apply_weight_and_validate():
    query, keys, queue = _unit(3, 4), _unit(3, 4, seed=1), _unit(6, 4, seed=2).t()
    index = torch.tensor([1, 2, 0])
    base = mixup_info_nce(query, keys, index, 0.4, queue, 0.2)
    assert MixupInfoNCELoss(0.2, loss_weight=2.0)(query, keys, index, 0.4, queue).item() == pytest.approx(
        2 * base.item())
    bce = non_parametric_mixup_bce(query, keys, index, 0.4, 0.2)
    assert NonParametricMixupBCELoss(0.2, loss_weight=0.5)(query, keys, index, 0.4).item() == pytest.approx(
        0.5 * bce.item())
    with pytest.raises(ValueError, match='temperature'):
        MixupInfoNCELoss(temperature=0.0)
    with pytest.raises(ValueError, match='queue'):
        mixup_info_nce(query, keys, index, 0.4, queue.t(), 0.2)
    with pytest.raises(ValueError, match='index'):
        non_parametric_mixup_bce(query, keys, index[:2], 0.4, 0.2)
