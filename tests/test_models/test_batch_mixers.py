"""CutMix / MixUp with bookkeeping: untouched raw batch, exact box-corrected lam, registered reproducible mixers."""
import math

import numpy as np
import pytest
import torch

from openmixosr.models.utils import (MixedBatch, PairedCutMix, PairedMixUp, cutmix, cutmix_box, cutmix_box_size,
                                     mixup)
from openmixosr.registry import BATCH_AUGMENTS


def _constant_images(n=8, c=3, h=12, w=10):
    """Image i is the constant i + 1, so every pixel of a mix says where it came from."""
    return (torch.arange(n, dtype=torch.float32) + 1).view(n, 1, 1, 1).expand(n, c, h, w).clone()


@pytest.mark.parametrize('seed', range(6))
def test_cutmix_lam_is_the_exact_share_of_own_pixels(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)
    x = _constant_images()
    raw = x.clone()
    mixed = cutmix(x, alpha=1.0)
    assert isinstance(mixed, MixedBatch) and isinstance(mixed.lam, float)
    torch.testing.assert_close(x, raw, rtol=0, atol=0)  # the raw batch is untouched
    assert mixed.inputs.data_ptr() != x.data_ptr()
    assert sorted(mixed.index.tolist()) == list(range(8))
    h, w = x.shape[-2:]
    partners = [i for i in range(8) if mixed.index[i] != i]
    assert partners
    for i in partners:
        taken = (mixed.inputs[i] == raw[mixed.index[i]]).all(dim=0)  # [H, W]
        own = (mixed.inputs[i] == raw[i]).all(dim=0)
        assert bool((taken ^ own).all())  # every pixel comes from x_i or x_j
        assert mixed.lam == 1.0 - taken.sum().item() / (h * w)


def test_cutmix_pasted_region_is_one_box_of_the_partner():
    np.random.seed(0)
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16)
    mixed = cutmix(x, alpha=1.0)
    partner = x[mixed.index]
    from_x = mixed.inputs == x
    from_partner = mixed.inputs == partner
    assert bool((from_x | from_partner).all())
    taken = (from_partner & ~from_x).all(dim=1)[0].nonzero()
    if len(taken):  # the pasted pixels form a filled rectangle
        (y1, x1), (y2, x2) = taken.min(dim=0).values.tolist(), (taken.max(dim=0).values + 1).tolist()
        assert len(taken) == (y2 - y1) * (x2 - x1)
        assert mixed.lam == pytest.approx(1.0 - len(taken) / 256)


def test_cutmix_box_area_before_clipping():
    assert cutmix_box_size(0.75, 32, 32) == (16, 16)  # (1 - 0.75) * 32 * 32 = 256 exactly
    assert cutmix_box_size(0.0, 12, 10) == (12, 10)
    assert cutmix_box_size(1.0, 12, 10) == (0, 0)
    rng = np.random.default_rng(0)
    for lam in rng.uniform(size=50):
        for h, w in [(32, 32), (64, 48), (7, 9)]:
            cut_h, cut_w = cutmix_box_size(lam, h, w)
            ratio = math.sqrt(1 - lam)
            assert abs(cut_h - h * ratio) <= 0.5 and abs(cut_w - w * ratio) <= 0.5
            # area (1 - lam) * H * W up to the rounding of each side
            assert abs(cut_h * cut_w - (1 - lam) * h * w) <= 0.5 * (cut_h + cut_w) + 0.25 + 1e-9


def test_cutmix_box_is_clipped_and_never_larger_than_drawn():
    np.random.seed(1)
    for lam in np.linspace(0.0, 1.0, 21):
        y1, y2, x1, x2 = cutmix_box(float(lam), 20, 30)
        cut_h, cut_w = cutmix_box_size(float(lam), 20, 30)
        assert 0 <= y1 <= y2 <= 20 and 0 <= x1 <= x2 <= 30
        assert y2 - y1 <= cut_h and x2 - x1 <= cut_w
    # centred far from the borders, nothing is clipped
    np.random.seed(0)
    boxes = [cutmix_box(0.75, 64, 64) for _ in range(200)]
    inner = [b for b in boxes if 8 <= b[0] and b[1] <= 64 - 8 and 8 <= b[2] and b[3] <= 64 - 8]
    assert inner and all((b[1] - b[0]) * (b[3] - b[2]) == 32 * 32 for b in inner)


def test_mixup_is_the_convex_combination():
    np.random.seed(2)
    torch.manual_seed(2)
    x = torch.rand(5, 3, 8, 8)
    raw = x.clone()
    np.random.seed(2)
    expected_lam = float(np.random.beta(0.4, 0.4))
    np.random.seed(2)
    mixed = mixup(x, alpha=0.4)
    assert mixed.lam == expected_lam
    torch.testing.assert_close(x, raw, rtol=0, atol=0)
    torch.testing.assert_close(mixed.inputs, mixed.lam * x + (1 - mixed.lam) * x[mixed.index])


@pytest.mark.parametrize('cfg, cls', [(dict(type='PairedCutMix', alpha=1.0), PairedCutMix),
                                      (dict(type='PairedMixUp', alpha=0.5), PairedMixUp)])
def test_registered_mixers_build_and_are_reproducible(cfg, cls):
    mixer = BATCH_AUGMENTS.build(cfg)
    assert isinstance(mixer, cls) and mixer.alpha == cfg['alpha']
    x = torch.rand(6, 3, 10, 10)
    runs = []
    for _ in range(2):
        np.random.seed(7)
        torch.manual_seed(7)
        runs.append([mixer(x) for _ in range(3)])
    for first, second in zip(*runs):
        assert first.lam == second.lam
        assert torch.equal(first.index, second.index)
        assert torch.equal(first.inputs, second.inputs)
    assert len({m.lam for m in runs[0]}) == 3  # successive calls draw afresh


def test_mixers_reject_non_positive_alpha():
    for cls in (PairedCutMix, PairedMixUp):
        with pytest.raises(ValueError, match='alpha'):
            cls(alpha=0.0)
    with pytest.raises(ValueError, match='images'):
        cutmix(torch.rand(3, 8, 8), 1.0)
