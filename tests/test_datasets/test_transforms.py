"""HueSafeColorJitter: same as mmpretrain's ColorJitter for positive hue draws, no crash on negative ones, and a
warning once the installed mmcv no longer needs the fix."""
import warnings

import mmcv
import numpy as np
import pytest
from PIL import Image

from openmixosr.datasets import HueSafeColorJitter, adjust_hue, transforms, upstream_hue_jitter_fails


def _image(seed=0):
    return (np.random.RandomState(seed).rand(12, 12, 3) * 255).astype(np.uint8)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
@pytest.mark.parametrize('factor', [0.0, 0.05, 0.3, 0.5])
def test_adjust_hue_equals_mmcv_for_non_negative_factors(backend, factor):
    img = _image()
    assert np.array_equal(adjust_hue(img, factor, backend), mmcv.adjust_hue(img, factor, backend=backend))


def _pil_hue(img):
    return np.array(Image.fromarray(np.ascontiguousarray(img[..., ::-1])).convert('HSV'))[..., 0].astype(int)


def test_negative_factor_rotates_the_hue_backwards():
    # saturated colours keep their hue through the RGB <-> HSV round trip
    img = np.zeros((1, 3, 3), np.uint8)
    img[0, 0] = (0, 0, 255)
    img[0, 1] = (0, 255, 0)
    img[0, 2] = (255, 0, 0)
    shifted = adjust_hue(img, -0.1)
    difference = (_pil_hue(shifted) - _pil_hue(img)) % 256
    assert np.all(np.abs(difference - (256 - 25)) <= 1)


def test_adjust_hue_validates():
    with pytest.raises(ValueError, match='hue_factor'):
        adjust_hue(_image(), 0.7)
    with pytest.raises(TypeError, match='uint8'):
        adjust_hue(_image().astype(np.float32), 0.1)


def test_color_jitter_survives_negative_hue_draws_and_keeps_mmpretrains_draws():
    from mmpretrain.datasets.transforms import ColorJitter as Upstream
    ours = HueSafeColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)
    upstream = Upstream(brightness=0.4, contrast=0.4, saturation=0.4)
    for seed in range(5):  # without hue jitter the two are the same transform
        np.random.seed(seed)
        a = ours.transform(dict(img=_image(seed)))['img']
        np.random.seed(seed)
        b = upstream.transform(dict(img=_image(seed)))['img']
        assert np.array_equal(a, b)
    jitter = HueSafeColorJitter(hue=0.1)
    np.random.seed(0)
    for seed in range(40):  # about half of the draws are negative
        assert jitter.transform(dict(img=_image(seed)))['img'].shape == (12, 12, 3)


def test_the_fix_is_still_needed_with_the_installed_mmcv():
    # Why HueSafeColorJitter exists: mmcv 2.2.0's adjust_hue (mmpretrain 1.2.0's ColorJitter) under numpy 2. When this
    # fails after an upgrade, the configs can go back to mmpretrain's ColorJitter and the fix can go.
    assert upstream_hue_jitter_fails()
    with pytest.raises(OverflowError):
        mmcv.adjust_hue(_image(), -0.1, backend='pillow')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        HueSafeColorJitter(hue=0.1)  # no warning while the fix is needed


def test_warns_when_upstream_no_longer_needs_the_fix(monkeypatch):
    monkeypatch.setattr(transforms, 'upstream_hue_jitter_fails', lambda: False)
    with pytest.warns(UserWarning, match="no longer fails: use mmpretrain's ColorJitter"):
        HueSafeColorJitter(hue=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        HueSafeColorJitter(brightness=0.4)  # no hue jitter: nothing to fix, nothing to say


def test_registered_under_its_own_name():
    from mmpretrain.datasets.transforms import ColorJitter as Upstream

    from openmixosr.registry import TRANSFORMS
    assert TRANSFORMS.get('HueSafeColorJitter') is HueSafeColorJitter
    assert TRANSFORMS.get('ColorJitter') is Upstream


def test_padding_mode_random_crop_reflects_where_mmpretrains_pads_zeros():
    """mmpretrain 1.2.0's RandomCrop ignores padding_mode for `padding`; PaddingModeRandomCrop honours it and keeps
    mmpretrain's random offsets."""
    from mmpretrain.datasets.transforms import RandomCrop as Upstream
    from openmixosr.datasets import PaddingModeRandomCrop, upstream_crop_ignores_padding_mode
    img = _image()  # 12 x 12, values in [0, 255)
    assert upstream_crop_ignores_padding_mode()
    for mode in ('reflect', 'edge', 'symmetric'):
        padded = np.pad(img, ((4, 4), (4, 4), (0, 0)), mode=mode)
        for seed in range(10):
            np.random.seed(seed)
            ours = PaddingModeRandomCrop(crop_size=12, padding=4, padding_mode=mode).transform(dict(img=img))['img']
            np.random.seed(seed)
            upstream = Upstream(crop_size=12)  # (a named instance: mmcv's cache_randomness holds a weak reference)
            top, left = upstream.rand_crop_params(padded)[:2]  # the draw both transforms make
            assert np.array_equal(ours, padded[top:top + 12, left:left + 12]), (mode, seed)
    for seed in range(5):  # constant padding: the same transform as mmpretrain's
        np.random.seed(seed)
        ours = PaddingModeRandomCrop(crop_size=12, padding=4, pad_val=3).transform(dict(img=img))['img']
        np.random.seed(seed)
        assert np.array_equal(ours, Upstream(crop_size=12, padding=4, pad_val=3).transform(dict(img=img))['img'])


def test_padding_mode_random_crop_warns_once_mmpretrain_is_fixed(monkeypatch):
    from openmixosr.datasets import PaddingModeRandomCrop
    monkeypatch.setattr(transforms, 'upstream_crop_ignores_padding_mode', lambda: False)
    with pytest.warns(UserWarning, match='no longer does'):
        PaddingModeRandomCrop(crop_size=12, padding=4, padding_mode='reflect')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        PaddingModeRandomCrop(crop_size=12, padding=4)  # constant padding needs no fix
