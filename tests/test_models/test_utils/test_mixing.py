"""Mixing helpers: Beta draws on numpy's global generator, permutation pairing, non-destructive mask mixing, the mixed
soft label and the one check of a mixing ratio (``check_lam``), which every function taking a lam uses."""
import numpy as np
import pytest
import torch

from openmixosr.models.utils import check_lam, mask_mix, mixed_soft_label, random_pairing, sample_lam


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


def test_check_lam_returns_a_number_as_a_float_and_a_tensor_as_it_is():
    assert check_lam(0.25) == 0.25 and type(check_lam(0.25)) is float
    assert type(check_lam(np.float32(0.5))) is float and check_lam(1) == 1.0 and check_lam(0.0) == 0.0
    scalar = torch.tensor(0.3, dtype=torch.float64)
    assert check_lam(scalar) is scalar and check_lam(scalar, batch_size=3) is scalar
    per_sample = torch.tensor([0.0, 0.5, 1.0], requires_grad=True)
    assert check_lam(per_sample, batch_size=3) is per_sample  # graph, dtype and device kept


@pytest.mark.parametrize('lam, batch_size, message', [
    (1.5, None, r'lam must be in \[0, 1\], got 1.5'),
    (-0.1, 3, r'lam must be in \[0, 1\], got -0.1'),
    (float('nan'), None, r'lam must be in \[0, 1\], got nan'),
    (float('inf'), 3, r'lam must be in \[0, 1\], got inf'),
    (torch.tensor(1.2), None, r'lam must be in \[0, 1\] for every sample, got \[1.2'),
    (torch.tensor([0.5, float('nan'), 0.2]), 3, r'for every sample, got \[nan\]'),
    (torch.tensor([0.5, 0.5, 1.5]), 3, r'for every sample, got \[1.5\]'),
    (torch.tensor([-1.0] * 6), 6, r'got \[-1.0, -1.0, -1.0, -1.0\] among others'),
    (torch.rand(4), 3, r'one value for the batch \(a float or a 0-dim tensor\) or a tensor \[N=3\], got a tensor '
                       r'of shape \(4,\)'),
    (torch.rand(3), None, r'one value for the batch \(a float or a 0-dim tensor\), got a tensor of shape \(3,\)'),
    (torch.rand(1), 3, r'got a tensor of shape \(1,\)'),
    (torch.rand(3, 1), 3, r'got a tensor of shape \(3, 1\)'),
    ('0.5', None, r'lam must be a float in \[0, 1\] or a tensor, got str'),
    (None, 3, r'got NoneType'),
    (True, None, r'got bool'),
], ids=['above', 'below', 'nan', 'inf', 'tensor_above', 'tensor_nan', 'one_sample_above', 'many_below',
        'wrong_length', 'per_sample_not_allowed', 'one_of_several', 'two_dims', 'string', 'none', 'bool'])
def test_check_lam_refuses_a_bad_lam_with_a_clear_message(lam, batch_size, message):
    with pytest.raises(ValueError, match=message):
        check_lam(lam, batch_size)


def _lam_takers():
    """Every function of the package that takes a lam, called on a batch of 4 with the given lam."""
    from openmixosr.models.losses import (CrossMutualInformationLoss, mixup_cross_entropy, mixup_info_nce,
                                          non_parametric_mixup_bce, pairwise_mixup_bce, relabel_target)
    from openmixosr.models.mix_blocks import MixBlock

    logits, labels, index = torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), torch.tensor([1, 2, 3, 0])
    query, queue = torch.randn(4, 5), torch.randn(5, 7)
    return {
        'mixed_soft_label': lambda lam: mixed_soft_label(labels, index, lam, 3),
        'relabel_target': lambda lam: relabel_target(labels, index, lam, 3),
        'mixup_cross_entropy': lambda lam: mixup_cross_entropy(logits, labels, index, lam),
        'pairwise_mixup_bce': lambda lam: pairwise_mixup_bce(logits, labels, index, lam),
        'mixup_info_nce': lambda lam: mixup_info_nce(query, query, index, lam, queue, 0.2),
        'non_parametric_mixup_bce': lambda lam: non_parametric_mixup_bce(query, query, index, lam, 0.2),
        'cross_mutual_information': lambda lam: CrossMutualInformationLoss()(logits, logits, index, lam),
        'mix_block': lambda lam: MixBlock(8)(torch.randn(4, 8, 4, 3), lam, index, (8, 6)),
    }


@pytest.mark.parametrize('name', sorted(_lam_takers()))
def test_every_function_taking_a_lam_checks_it_with_check_lam(name):
    """The same refusals, with check_lam's messages, wherever a lam enters; the Mix Block takes one lam per batch."""
    call = _lam_takers()[name]
    call(0.5)
    for bad in (1.5, float('nan'), torch.tensor([0.5, 0.5, 0.5, -0.5])):
        with pytest.raises(ValueError, match=r'lam must be in \[0, 1\]|lam must be one value for the batch'):
            call(bad)
    with pytest.raises(ValueError, match=r'lam must be one value for the batch'):
        call(torch.rand(5))
    if name == 'mix_block':
        with pytest.raises(ValueError, match=r'one value for the batch \(a float or a 0-dim tensor\), got'):
            call(torch.full((4, ), 0.5))
    else:
        call(torch.full((4, ), 0.5))
