"""Mix Block (AutoMix) and Mix Block+ (AMix): values against hand computations, invariants, gradients, training."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import mixup_cross_entropy
from openmixosr.models.mix_blocks import MixBlock, MixBlockPlus, adjust_to_lam
from openmixosr.models.utils import mask_mix
from openmixosr.registry import MODELS

BLOCKS = {
    'automix': dict(type='MixBlock', in_channels=8),
    'automix_bilinear': dict(type='MixBlock', in_channels=8, upsample='bilinear'),
    'amix': dict(type='MixBlockPlus', in_channels=8),
    'amix_fixed_local': dict(type='MixBlockPlus', in_channels=8, lam_encoding='fixed', global_attention=False),
    'amix_concat_linear': dict(type='MixBlockPlus', in_channels=8, lam_encoding='concat', nonlinear_value=False,
                               upsample='nearest'),
}
ALL_OFF = dict(lam_encoding='concat', upsample='nearest', nonlinear_value=False, global_attention=False,
               lam_adjust=False, variance_loss=False)


def _features(n=4, c=8, h=4, w=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, h, w, generator=gen)


@pytest.mark.parametrize('name', list(BLOCKS))
@pytest.mark.parametrize('out_size', [(16, 12), (7, 9)])
def test_mask_shapes_ranges_and_attention_rows(name, out_size):
    torch.manual_seed(0)
    block = MODELS.build(dict(BLOCKS[name]))
    feat = _features()
    out = block(feat, 0.3, torch.tensor([2, 3, 0, 1]), out_size)
    for key in ('mask', 'raw_mask'):
        mask = out[key]
        assert mask.shape == (4, 2, *out_size) and mask.dtype == torch.float32
        assert mask.min() >= 0 and mask.max() <= 1
        assert torch.equal(mask.sum(dim=1), torch.ones(4, *out_size))  # exactly
    assert out['attention'].shape == (4, 12, 12)
    torch.testing.assert_close(out['attention'].sum(dim=-1), torch.ones(4, 12))
    if not getattr(block, 'lam_adjust', False):
        assert out['raw_mask'] is out['mask']


def test_nearest_and_bilinear_upsampling_differ_as_expected():
    torch.manual_seed(0)
    nearest = MixBlock(8)
    bilinear = MixBlock(8, upsample='bilinear')
    bilinear.load_state_dict(nearest.state_dict())
    feat, index = _features(), torch.tensor([1, 0, 3, 2])
    s_nearest = nearest(feat, 0.5, index, (8, 6))['mask'][:, 0]
    s_bilinear = bilinear(feat, 0.5, index, (8, 6))['mask'][:, 0]
    # Nearest: constant 2x2 blocks; bilinear: smooth, equal to nearest at feature resolution.
    assert torch.equal(s_nearest, s_nearest[:, ::2, ::2].repeat_interleave(2, 1).repeat_interleave(2, 2))
    assert not torch.allclose(s_nearest, s_bilinear)
    torch.testing.assert_close(nearest(feat, 0.5, index, (4, 3))['mask'], bilinear(feat, 0.5, index, (4, 3))['mask'])


def _numpy_mix_block(z, index, lam, w_p, b_p, w_z, b_z, scale, value_source='j'):
    """AutoMix Eq. 5-6 (docs/automix.md, Method reference), one sample at a time, float64.

    ``value_source='j'`` (the authors' code): the value comes from the partner ``a_j``, the image of the keys, the
    attention gives the partner's mask ``s_j`` and ``s = 1 - s_j``; ``'i'``: the value of ``a_i`` gives ``s``."""
    n, c, h, w = z.shape
    masks = []
    for i in range(n):
        a_i = np.concatenate([z[i].reshape(c, -1), np.full((1, h * w), lam)])
        a_j = np.concatenate([z[index[i]].reshape(c, -1), np.full((1, h * w), 1 - lam)])
        query, key = w_p @ a_i + b_p[:, None], w_p @ a_j + b_p[:, None]
        logits = query.T @ key / math.sqrt(w_p.shape[0])
        attention = np.exp(logits - logits.max(axis=1, keepdims=True))
        attention /= attention.sum(axis=1, keepdims=True)
        value = (w_z @ (a_i if value_source == 'i' else a_j) + b_z[:, None])[0]
        out = (attention @ value).reshape(h, w)
        out = out.repeat(scale, axis=0).repeat(scale, axis=1)  # nearest upsampling by an integer factor
        s = 1 / (1 + np.exp(-out))
        masks.append(s if value_source == 'i' else 1 - s)
    return np.stack(masks)


@pytest.mark.parametrize('value_source', ['j', 'i'])
def test_mix_block_matches_hand_computation(value_source):
    block = MixBlock(in_channels=2, reduction=2, value_source=value_source)  # C/r = 1
    w_p, b_p = np.array([[0.5, -1.0, 2.0]]), np.array([0.1])
    w_z, b_z = np.array([[1.0, 0.5, -2.0]]), np.array([0.2])
    with torch.no_grad():
        block.query_key.weight.copy_(torch.tensor(w_p).view(1, 3, 1, 1))
        block.query_key.bias.copy_(torch.tensor(b_p))
        block.value.weight.copy_(torch.tensor(w_z).view(1, 3, 1, 1))
        block.value.bias.copy_(torch.tensor(b_z))
    z = np.array([[[[0.3, -1.2], [2.0, 0.7]], [[1.5, 0.0], [-0.4, 0.9]]],
                  [[[-0.8, 0.6], [0.1, -1.9]], [[0.2, 1.1], [-1.3, 0.5]]],
                  [[[1.0, 1.0], [-1.0, 0.4]], [[0.0, -0.6], [0.8, 1.7]]]])
    index, lam = [2, 0, 1], 0.3
    out = block(torch.tensor(z, dtype=torch.float32), lam, torch.tensor(index), (4, 4))
    expected = _numpy_mix_block(z, index, lam, w_p, b_p, w_z, b_z, scale=2, value_source=value_source)
    np.testing.assert_allclose(out['mask'][:, 0].detach().numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(out['mask'][:, 1].detach().numpy(), 1 - expected, atol=1e-6)
    assert block.mask_loss(out['raw_mask'], lam).item() == pytest.approx(
        0.1 * np.maximum(np.abs(lam - expected.mean(axis=(1, 2))) - 0.1, 0).mean(), abs=1e-7)


def test_mix_block_plus_matches_direct_computation():
    """Adaptive encoding, global attention, non-linear value, bilinear upsampling, lam adjusting."""
    torch.manual_seed(0)
    block = MixBlockPlus(8, value_source='i').eval()  # eval: BN running statistics, no dropout
    with torch.no_grad():
        block.gamma.fill_(0.4)
        block.value[1].running_mean.uniform_(-0.5, 0.5)
        block.value[1].running_var.uniform_(0.5, 2.0)
    feat, index, lam = _features(), torch.tensor([3, 2, 1, 0]), 0.35
    out = block(feat, lam, index, (8, 6))

    a_i, a_j = (1 + 0.4 * lam) * feat, (1 + 0.4 * (1 - lam)) * feat[index]
    qk = F.conv2d(torch.cat([a_i, a_j], 1), block.query_key.weight, block.query_key.bias).flatten(2)  # [N, 4, 12]
    attention = torch.softmax(torch.einsum('nda,ndb->nab', qk, qk) / 2.0, dim=-1)
    conv1, bn, conv2 = block.value[0], block.value[1], block.value[4]
    hidden = F.conv2d(a_i, conv1.weight)
    hidden = (hidden - bn.running_mean.view(1, -1, 1, 1)) / torch.sqrt(bn.running_var.view(1, -1, 1, 1) + bn.eps)
    hidden = torch.relu(hidden * bn.weight.view(1, -1, 1, 1) + bn.bias.view(1, -1, 1, 1))
    value = F.conv2d(hidden, conv2.weight, conv2.bias).flatten(2)  # [N, 1, 12]
    logits = torch.einsum('nab,nb->na', attention, value[:, 0]).view(4, 1, 4, 3)
    raw = torch.sigmoid(F.interpolate(logits, size=(8, 6), mode='bilinear', align_corners=False))
    torch.testing.assert_close(out['attention'], attention)
    torch.testing.assert_close(out['raw_mask'][:, :1], raw)
    mu = raw.mean(dim=(1, 2, 3), keepdim=True)
    adjusted = torch.where(mu > lam, raw * lam / mu, 1 - (1 - raw) * (1 - lam) / (1 - mu))
    torch.testing.assert_close(out['mask'][:, :1], adjusted)


def test_mix_block_plus_with_every_option_off_is_the_mix_block():
    torch.manual_seed(0)
    automix = MixBlock(8)
    plus = MixBlockPlus(8, **ALL_OFF)
    plus.load_state_dict(automix.state_dict())
    feat, index = _features(), torch.tensor([1, 2, 3, 0])
    out_a, out_p = automix(feat, 0.7, index, (8, 6)), plus(feat, 0.7, index, (8, 6))
    assert torch.equal(out_a['mask'], out_p['mask'])
    assert torch.equal(automix.mask_loss(out_a['raw_mask'], 0.7), plus.mask_loss(out_p['raw_mask'], 0.7))


@pytest.mark.parametrize('lam', [0.1, 0.5, 0.9])
def test_lam_adjusting_gives_mean_lam_per_sample(lam):
    torch.manual_seed(int(lam * 10))
    block = MixBlockPlus(8)
    out = block(_features(n=6, seed=int(lam * 10)) * 3, lam, torch.randperm(6), (32, 24))
    s = out['mask'][:, 0]
    torch.testing.assert_close(s.mean(dim=(1, 2)), torch.full((6, ), lam), rtol=0, atol=1e-6)
    assert s.min() >= 0 and s.max() <= 1


def test_adjust_to_lam_both_branches_values_and_gradients():
    torch.manual_seed(0)
    lam = 0.5
    # Per-sample means from ~0.03 to ~0.97: both the shrinking (mu > lam) and the growing (mu < lam) branch.
    base = torch.rand(8, 1, 16, 16)
    s = torch.stack([base[i] ** p for i, p in enumerate([0.02, 0.2, 0.5, 0.9, 1.5, 3.0, 8.0, 30.0])])
    s.requires_grad_(True)
    mu = s.detach().mean(dim=(1, 2, 3))
    assert (mu > lam).any() and (mu < lam).any()
    for target in (0.1, 0.5, 0.9):
        adjusted = adjust_to_lam(s, target)
        torch.testing.assert_close(adjusted.mean(dim=(1, 2, 3)), torch.full((8, ), target), rtol=0, atol=1e-6)
        assert adjusted.min() >= 0 and adjusted.max() <= 1
    adjusted = adjust_to_lam(s, lam)
    shrink = mu > lam
    torch.testing.assert_close(adjusted[shrink], (s * lam / mu.view(-1, 1, 1, 1))[shrink])
    torch.testing.assert_close(adjusted[~shrink], (1 - (1 - s) * (1 - lam) / (1 - mu.view(-1, 1, 1, 1)))[~shrink])
    adjusted.pow(2).sum().backward()
    assert torch.isfinite(s.grad).all()
    # Degenerate masks: all zeros / all ones become the constant lam, with finite gradients.
    extreme = torch.cat([torch.zeros(1, 1, 4, 4), torch.ones(1, 1, 4, 4)]).requires_grad_(True)
    adjusted = adjust_to_lam(extreme, 0.3)
    torch.testing.assert_close(adjusted, torch.full_like(adjusted, 0.3))
    adjusted.sum().backward()
    assert torch.isfinite(extreme.grad).all()


def test_gamma_starts_at_zero_is_learned_and_stays_in_unit_interval():
    torch.manual_seed(0)
    block = MixBlockPlus(8)
    assert isinstance(block.gamma, torch.nn.Parameter) and block.gamma.item() == 0.0
    feat, index = _features(), torch.tensor([1, 0, 3, 2])
    out = block(feat, 0.2, index, (8, 6))
    block.mask_loss(out['raw_mask'], 0.9).backward()
    assert block.gamma.grad is not None and block.gamma.grad.item() != 0.0  # lam reaches the mask through g

    optimizer = torch.optim.SGD([block.gamma], lr=1.0)
    for sign, bound in ((-1.0, 1.0), (1.0, 0.0)):  # push far above 1, then far below 0
        optimizer.zero_grad()
        (sign * 1000 * block.gamma).backward()
        optimizer.step()
        assert not 0.0 <= block.gamma.item() <= 1.0
        block(feat, 0.2, index, (8, 6))
        assert block.gamma.item() == bound


def test_two_masks_in_one_step_still_backpropagate():
    """The momentum pipeline makes s_mb and s_bb before any backward; the in-place projection of g must not break
    the first graph."""
    torch.manual_seed(0)
    block = MixBlockPlus(8)
    with torch.no_grad():
        block.gamma.fill_(1.5)  # out of range: the second forward modifies it in place
    feat = _features()
    first = block(feat, 0.3, torch.tensor([1, 0, 3, 2]), (8, 6))
    with torch.no_grad():
        block.gamma.fill_(-0.5)
    second = block(feat, 0.6, torch.tensor([2, 3, 0, 1]), (8, 6))
    (block.mask_loss(first['raw_mask'], 0.9) + block.mask_loss(second['raw_mask'], 0.1)).backward()
    assert block.gamma.item() == 0.0


def test_fixed_gamma_is_a_constant():
    block = MixBlockPlus(8, lam_encoding='fixed')
    assert block.gamma.item() == 1.0 and 'gamma' not in dict(block.named_parameters())
    assert MixBlockPlus(8, lam_encoding='fixed', fixed_gamma=0.25).gamma.item() == 0.25
    assert MixBlockPlus(8, lam_encoding='concat').gamma is None


@pytest.mark.parametrize('cfg', [
    dict(upsample='bicubic'),
    dict(lam_encoding='sum'),
    dict(fixed_gamma=0.5),  # only with lam_encoding='fixed'
    dict(lam_encoding='fixed', fixed_gamma=1.5),
    dict(nonlinear_value=False, value_dropout=0.1),  # dropout would silently do nothing
    dict(reduction=16),
])
def test_invalid_options_are_rejected(cfg):
    with pytest.raises(ValueError):
        MixBlockPlus(8, **cfg)


def test_dropout_sits_before_the_last_value_conv():
    block = MixBlockPlus(8, value_dropout=0.2)
    layers = [type(m).__name__ for m in block.value]
    assert layers == ['Conv2d', 'BatchNorm2d', 'ReLU', 'Dropout', 'Conv2d'] and block.value[3].p == 0.2
    assert block.value[-1].out_channels == 1


def _constant_mask(values, h=4, w=4):
    s = torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, h, w)
    return torch.cat([s, 1 - s], dim=1)


@pytest.mark.parametrize('block_type', [MixBlock, MixBlockPlus])
def test_mask_loss_hand_values(block_type):
    block = block_type(8)
    # Constant s = 0.7, lam = 0.5: 0.1 * max(0.2 - 0.1, 0) (no variance).
    assert block.mask_loss(_constant_mask([0.7, 0.7]), 0.5).item() == pytest.approx(0.01, abs=1e-7)
    # Per sample, then averaged: |0.5 - 0.9| - 0.1 = 0.3 and 0 -> 0.15 (a batch-wide mean of 0.7 would give 0.1).
    assert block.mask_loss(_constant_mask([0.9, 0.5]), 0.5).item() == pytest.approx(0.1 * 0.15, abs=1e-7)
    # A per-sample lam tensor.
    assert block.mask_loss(_constant_mask([0.9, 0.5]), torch.tensor([0.9, 0.1])).item() == pytest.approx(
        0.1 * 0.15, abs=1e-7)
    block.mask_loss_weight = 0.0  # MomentumPipelineHook decays the attribute
    assert block.mask_loss(_constant_mask([0.9, 0.5]), 0.5).item() == 0.0
    assert block.initial_mask_loss_weight == 0.1  # the start of the hook's schedule stays


@pytest.mark.parametrize('block_type', [MixBlock, MixBlockPlus])
def test_mask_loss_weight_argument_is_the_initial_weight(block_type):
    no_variance = dict(variance_loss=False) if block_type is MixBlockPlus else {}
    block = block_type(8, mask_loss_weight=0.4, **no_variance)
    assert block.initial_mask_loss_weight == block.mask_loss_weight == 0.4
    assert block.mask_loss(_constant_mask([0.7, 0.7]), 0.5).item() == pytest.approx(0.04, abs=1e-7)


def test_mask_loss_variance_term_on_a_two_valued_mask():
    s = torch.zeros(2, 1, 4, 4)
    s[0, :, :, :2] = 1.0  # half ones, half zeros: mean 0.5, variance 0.25
    s[1, :, :1, :] = 0.8  # a quarter at 0.8: mean 0.2, variance 0.64 * 0.25 * 0.75 = 0.12
    mask = torch.cat([s, 1 - s], dim=1)
    lam = 0.5
    hinge = (0.0 + (0.3 - 0.1)) / 2
    variance = (0.25 + 0.12) / 2
    assert MixBlockPlus(8).mask_loss(mask, lam).item() == pytest.approx(0.1 * (hinge - variance), abs=1e-7)
    assert MixBlockPlus(8, variance_loss=False).mask_loss(mask, lam).item() == pytest.approx(0.1 * hinge, abs=1e-7)
    assert MixBlock(8).mask_loss(mask, lam).item() == pytest.approx(0.1 * hinge, abs=1e-7)


@pytest.mark.parametrize('name', list(BLOCKS))
def test_mask_loss_gradient_reaches_every_parameter(name):
    torch.manual_seed(0)
    block = MODELS.build(dict(BLOCKS[name]))
    out = block(_features(), 0.95, torch.tensor([1, 2, 3, 0]), (8, 6))  # mean(s) ~ 0.5: the hinge is active
    block.mask_loss(out['raw_mask'], 0.95).backward()
    for param_name, param in block.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, param_name


@pytest.mark.parametrize('name', ['automix', 'amix'])
def test_generation_loss_trains_the_block_through_the_mixed_images(name):
    """The AutoMix generation path: mask -> mask_mix -> frozen classifier -> mixup CE -> Mix Block."""
    torch.manual_seed(0)
    block = MODELS.build(dict(BLOCKS[name]))
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 6, 5)).requires_grad_(False)
    images, labels = torch.randn(4, 3, 8, 6), torch.tensor([0, 1, 2, 3])
    index, lam = torch.tensor([1, 2, 3, 0]), 0.4
    out = block(_features(), lam, index, images.shape[2:])
    loss = mixup_cross_entropy(classifier(mask_mix(images, out['mask'], index)), labels, index, lam)
    loss.backward()
    assert block.query_key.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in classifier.parameters())


def _worst_lam_gap(block, scale):
    with torch.no_grad():
        gaps = [(block(scale * torch.randn(8, 16, 4, 4), lam, torch.randperm(8), (16, 16))['mask'][:, 0].mean(
            dim=(1, 2)) - lam).abs().max().item() for lam in (0.05, 0.2, 0.5, 0.8, 0.95)]
    return max(gaps)


def test_mix_block_learns_to_track_lam():
    """Only the mask loss (weight 1, no classifier): after 300 Adam steps (~0.3 s) on random features with a random
    lam per step, every sample's mask mean is within margin + 0.05 of fresh lam values. (100 steps are not enough:
    the weight of the lam channel and the bias are strongly correlated directions and the hinge is flat inside the
    margin.)"""
    torch.manual_seed(0)
    gen = np.random.default_rng(0)
    scale = 0.5
    block = MixBlock(16, mask_loss_weight=1.0)
    assert _worst_lam_gap(block, scale) > block.lam_margin + 0.2  # untrained: mean(s) ~ 0.5 whatever lam
    optimizer = torch.optim.Adam(block.parameters(), lr=0.1)
    for _ in range(300):
        lam = float(gen.uniform())
        out = block(scale * torch.randn(8, 16, 4, 4), lam, torch.randperm(8), (16, 16))
        loss = block.mask_loss(out['raw_mask'], lam)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert _worst_lam_gap(block, scale) < block.lam_margin + 0.05


@pytest.mark.parametrize('temperature', [1.0, 0.25])
def test_attention_temperature_divides_the_logits(temperature):
    """P = softmax_row(q^T k / (T sqrt(d))), by hand; T = 1 is the paper's attention."""
    torch.manual_seed(0)
    block = MixBlock(in_channels=6, reduction=2, attention_temperature=temperature)
    feat = torch.randn(2, 6, 3, 3)
    index = torch.tensor([1, 0])
    out = block(feat, 0.4, index, (3, 3))
    a_i = torch.cat([feat, torch.full((2, 1, 3, 3), 0.4)], 1)
    a_j = torch.cat([feat[index], torch.full((2, 1, 3, 3), 0.6)], 1)
    q, k = block.query_key(a_i).flatten(2), block.query_key(a_j).flatten(2)
    expected = (q.transpose(1, 2) @ k / (temperature * math.sqrt(3))).softmax(-1)
    torch.testing.assert_close(out['attention'], expected)
    with pytest.raises(ValueError, match='attention_temperature'):
        MixBlock(in_channels=6, attention_temperature=0.0)


def test_mix_block_without_lam_channel():
    """lam_concat=False (the authors' small-dataset setting): C input channels and a mask that ignores lam."""
    torch.manual_seed(0)
    block = MixBlock(in_channels=6, lam_concat=False)
    assert block.query_key.in_channels == 6 and block.value.in_channels == 6
    feat, index = torch.randn(2, 6, 3, 3), torch.tensor([1, 0])
    torch.testing.assert_close(block(feat, 0.2, index, (3, 3))['mask'], block(feat, 0.9, index, (3, 3))['mask'])
    assert MixBlock(in_channels=6).query_key.in_channels == 7


def test_value_source_j_is_the_partners_mask_complemented():
    """With the value of the partner (the authors' code), ``s = 1 - sigmoid(U(P @ W_Z a_j))``: the same block with
    ``value_source='i'`` on the swapped value gives ``1 - s`` exactly; the default is ``'j'``."""
    torch.manual_seed(0)
    assert MixBlock(8).value_source == 'j' and MixBlockPlus(8).value_source == 'j'
    block_j = MixBlockPlus(8, lam_adjust=False).eval()
    feat, index, lam = _features(), torch.tensor([3, 2, 1, 0]), 0.35
    out = block_j(feat, lam, index, (8, 6))
    a_j = (1 + block_j.gamma * (1 - lam)) * feat[index]
    value = block_j.value(a_j).flatten(2).transpose(1, 2)
    logits = torch.bmm(out['attention'], value).transpose(1, 2).reshape(4, 1, 4, 3)
    expected = 1 - torch.sigmoid(F.interpolate(logits, size=(8, 6), mode='bilinear', align_corners=False))
    torch.testing.assert_close(out['mask'][:, :1], expected)
    with pytest.raises(ValueError, match='value_source'):
        MixBlock(8, value_source='k')
