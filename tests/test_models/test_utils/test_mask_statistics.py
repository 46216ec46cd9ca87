"""mask_statistics: flat, cut and half-mixed masks by hand."""
import pytest
import torch

from openmixosr.models.utils.mask_statistics import mask_statistics


def _pair(s):
    return torch.stack([s, 1 - s], dim=1)


def test_uniform_blend_is_flat_and_fully_mixed():
    stats = mask_statistics(_pair(torch.full((3, 8, 8), 0.3)), 0.5)
    assert float(stats['mask_std']) == pytest.approx(0.0, abs=1e-7)
    assert float(stats['mask_lam_gap']) == pytest.approx(0.2)
    assert float(stats['mask_mixed_fraction']) == 1.0


def test_binary_half_mask_has_std_one_half_and_nothing_mixed():
    s = torch.zeros(2, 4, 4)
    s[:, :, :2] = 1.0
    stats = mask_statistics(_pair(s), torch.tensor([0.5, 0.25]))
    assert float(stats['mask_std']) == pytest.approx(0.5)
    assert float(stats['mask_lam_gap']) == pytest.approx((0.0 + 0.25) / 2)
    assert float(stats['mask_mixed_fraction']) == 0.0


def test_mixed_band_counts_pixels_by_hand():
    s = torch.tensor([[[0.05, 0.1], [0.5, 0.95]]])  # 0.1 and 0.5 are in [0.1, 0.9]
    stats = mask_statistics(_pair(s), 0.4)
    assert float(stats['mask_mixed_fraction']) == pytest.approx(0.5)
    mean = s.mean()
    assert float(stats['mask_std']) == pytest.approx(float(((s - mean) ** 2).mean().sqrt()), rel=1e-6)
    assert not stats['mask_std'].requires_grad
