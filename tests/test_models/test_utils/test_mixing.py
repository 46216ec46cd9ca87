"""Mixing helpers: Beta draws on numpy's global generator, permutation pairing, non-destructive mask mixing and
the mixed soft label."""
import numpy as np
import pytest
import torch

from openmixosr.models.utils import mask_mix, mixed_soft_label, random_pairing, sample_lam


def test_sample_lam_uses_numpys_global_generator():
    np.random.seed(3)
    draws = [sample_lam(0.5) for _ in range(5)]
    np.random.seed(3)
    expected = [float(np.random.beta(0.5, 0.5)) for _ in range(5)]
    assert draws == expected
    assert all(isinstance(lam, float) and 0.0 <= lam <= 1.0 for lam in draws)


def test_sample_lam_distribution_mean_and_spread():
    np.random.seed(0)
    draws = np.array([sample_lam(2.0) for _ in range(4000)])
    assert abs(draws.mean() - 0.5) < 0.02
    # Beta(2, 2) has variance 1 / 20.
    assert abs(draws.var() - 0.05) < 0.005


@pytest.mark.parametrize('alpha', [0.0, -1.0])
def test_sample_lam_rejects_non_positive_alpha(alpha):
    with pytest.raises(ValueError, match='alpha'):
        sample_lam(alpha)


def test_random_pairing_is_a_permutation():
    torch.manual_seed(0)
    index = random_pairing(17, torch.device('cpu'))
    assert index.dtype == torch.long
    assert sorted(index.tolist()) == list(range(17))
    torch.manual_seed(0)
    assert torch.equal(random_pairing(17, 'cpu'), index)


def test_mask_mix_with_a_hard_mask_pastes_the_partner():
    torch.manual_seed(0)
    inputs = torch.randn(3, 2, 6, 5)
    index = torch.tensor([2, 0, 1])
    s = torch.ones(3, 1, 6, 5)
    s[:, :, 1:4, 2:5] = 0  # the box comes from the partner
    mixed = mask_mix(inputs, torch.cat([s, 1 - s], dim=1), index)
    expected = inputs.clone()
    expected[:, :, 1:4, 2:5] = inputs[index][:, :, 1:4, 2:5]
    assert torch.equal(mixed, expected)


def test_mask_mix_soft_values_leave_inputs_unchanged_and_pass_gradients():
    torch.manual_seed(0)
    inputs = torch.randn(4, 3, 5, 5)
    before = inputs.clone()
    index = torch.tensor([1, 2, 3, 0])
    s = torch.rand(4, 1, 5, 5, requires_grad=True)
    mask = torch.cat([s, 1 - s], dim=1)
    mixed = mask_mix(inputs, mask, index)
    assert torch.equal(inputs, before)
    torch.testing.assert_close(mixed, s * inputs + (1 - s) * inputs[index])
    mixed.sum().backward()
    # d mixed / d s = x_i - x_j, summed over the channels.
    torch.testing.assert_close(s.grad, (inputs - inputs[index]).sum(dim=1, keepdim=True))


def test_mask_mix_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        mask_mix(torch.zeros(2, 3, 4, 4), torch.zeros(2, 1, 4, 4), torch.tensor([1, 0]))
    with pytest.raises(ValueError):
        mask_mix(torch.zeros(2, 3, 4, 4), torch.zeros(2, 2, 8, 8), torch.tensor([1, 0]))


def test_mixed_soft_label_per_sample_lam():
    labels = torch.tensor([0, 1, 2])
    index = torch.tensor([1, 2, 0])
    lam = torch.tensor([1.0, 0.25, 0.5])
    expected = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.25, 0.75], [0.5, 0.0, 0.5]])
    torch.testing.assert_close(mixed_soft_label(labels, index, lam, 3), expected)
    with pytest.raises(ValueError, match='lam'):
        mixed_soft_label(labels, index, torch.rand(2), 3)


def test_mixed_soft_label_computes_its_weights_at_lams_precision():
    # A float lam and a float32 tensor: lam and 1 - lam in float32 (the distiller's and AutoMix's labels, unchanged);
    # a float64 tensor: 1 - lam in double precision, rounded once (mmpretrain's batch augments with a Python float);
    # a bfloat16 tensor is promoted to the label's float32 first. Each weight is then rounded to the label's dtype.
    labels, index = torch.tensor([0, 1, 2, 1]), torch.tensor([1, 2, 0, 1])
    onehot = torch.nn.functional.one_hot(labels, 3).float()
    found = set()
    for lam in np.random.RandomState(0).beta(1.0, 1.0, 50):
        lam32 = torch.tensor(lam, dtype=torch.float32)
        in_float32 = lam32 * onehot + (1 - lam32) * onehot[index]
        in_double = lam * onehot + (1 - lam) * onehot[index]
        assert torch.equal(mixed_soft_label(labels, index, float(lam), 3), in_float32)
        assert torch.equal(mixed_soft_label(labels, index, lam32, 3), in_float32)
        assert torch.equal(mixed_soft_label(labels, index, torch.tensor(lam, dtype=torch.float64), 3), in_double)
        found.add(torch.equal(in_float32, in_double))
        lam16 = torch.tensor(lam, dtype=torch.bfloat16)
        lam16_as32 = lam16.float()
        assert torch.equal(mixed_soft_label(labels, index, lam16, 3),
                           lam16_as32 * onehot + (1 - lam16_as32) * onehot[index])
    assert found == {True, False}  # the two roundings of 1 - lam do differ for some draws
    per_sample = torch.rand(4, dtype=torch.float64)
    own, partner = per_sample.float()[:, None], (1 - per_sample).float()[:, None]
    assert torch.equal(mixed_soft_label(labels, index, per_sample, 3), own * onehot + partner * onehot[index])
