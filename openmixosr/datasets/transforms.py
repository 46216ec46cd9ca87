"""Image transforms that fix upstream ones for the installed numpy.

``HueSafeColorJitter`` exists because mmcv 2.2.0's ``adjust_hue`` (called by mmpretrain 1.2.0's ``ColorJitter``, the
latest releases, checked with numpy 2.4) raises ``OverflowError`` on every negative hue factor under numpy 2. It is
guarded by what it fixes rather than by a version number: :func:`upstream_hue_jitter_fails` probes the installed mmcv
once, and the transform warns when a later mmcv / mmpretrain no longer fails, so that the configs can go back to
mmpretrain's ``ColorJitter``.
"""
import functools
import warnings
from typing import Sequence, Union

import cv2
import mmcv
import numpy as np
from mmpretrain.datasets.transforms import ColorJitter as MMPretrainColorJitter
from PIL import Image

from openmixosr.registry import TRANSFORMS


def adjust_hue(img: np.ndarray, hue_factor: float, backend: str = 'pillow') -> np.ndarray:
    """Rotate the hue of a BGR uint8 image by ``hue_factor`` of a turn, ``hue_factor`` in [-0.5, 0.5].

    The same operation as ``mmcv.adjust_hue``, whose ``np.uint8(hue_factor * 255)`` raises ``OverflowError`` for a
    negative factor under numpy 2: the shift is taken modulo 256 here (``int(hue_factor * 255) % 256``, the value
    the uint8 wrap-around gave under numpy 1), so negative factors rotate the hue the other way.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor must be in [-0.5, 0.5], got {hue_factor}')
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError(f'adjust_hue expects a BGR uint8 image [H, W, 3], got {img.dtype} {img.shape}')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        h, s, v = Image.fromarray(np.ascontiguousarray(img[..., ::-1]), mode='RGB').convert('HSV').split()
        hue = np.array(h, dtype=np.uint8) + shift  # uint8 arithmetic wraps around the hue circle
        rgb = Image.merge('HSV', (Image.fromarray(hue, 'L'), s, v)).convert('RGB')
        return np.array(rgb, dtype=np.uint8)[..., ::-1]
    if backend == 'cv2':
        hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
        hsv[..., 0] += shift
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)
    raise ValueError(f"backend must be 'pillow' or 'cv2', got {backend!r}")


@functools.lru_cache(maxsize=None)
def upstream_hue_jitter_fails() -> bool:
    """Whether ``mmcv.adjust_hue``, which mmpretrain's ``ColorJitter`` calls, still fails on a negative hue factor.

    Returns:
        bool: True when it raises ``OverflowError`` (mmcv 2.2.0 under numpy 2), i.e. while the fix is needed.
    """
    try:
        mmcv.adjust_hue(np.zeros((1, 1, 3), np.uint8), -0.1, backend='pillow')
    except OverflowError:
        return True
    return False


@TRANSFORMS.register_module()
class HueSafeColorJitter(MMPretrainColorJitter):
    """mmpretrain's ``ColorJitter`` (same arguments, same random draws, same random order) with a hue jitter that
    works under numpy 2.

    mmpretrain's transform calls ``mmcv.adjust_hue``, which fails on every negative hue draw with numpy 2 (MoCo v2's
    ``hue=0.1`` draws a negative factor half of the time); this one rotates the hue with :func:`adjust_hue`. Its own
    name keeps mmpretrain's ``ColorJitter`` reachable as it is. With a hue jitter, building it warns when the
    installed mmcv no longer fails (:func:`upstream_hue_jitter_fails`): the fix is then unnecessary.

    Args:
        brightness (float | Sequence[float]): Brightness factor range (``x`` means ``[1 - x, 1 + x]``). Defaults to 0.
        contrast (float | Sequence[float]): Contrast factor range, as ``brightness``. Defaults to 0.
        saturation (float | Sequence[float]): Saturation factor range, as ``brightness``. Defaults to 0.
        hue (float | Sequence[float]): Hue shift range in turns (``x`` means ``[-x, x]``, within [-0.5, 0.5]).
            Defaults to 0.
        backend (str): ``'pillow'`` or ``'cv2'``. Defaults to ``'pillow'``.
    """

    def __init__(self,
                 brightness: Union[float, Sequence[float]] = 0.,
                 contrast: Union[float, Sequence[float]] = 0.,
                 saturation: Union[float, Sequence[float]] = 0.,
                 hue: Union[float, Sequence[float]] = 0.,
                 backend: str = 'pillow'):
        super().__init__(brightness=brightness, contrast=contrast, saturation=saturation, hue=hue, backend=backend)
        if self.hue is not None and not upstream_hue_jitter_fails():
            warnings.warn(
                f'HueSafeColorJitter works around mmcv.adjust_hue failing on negative hue factors under numpy 2 '
                f'(mmcv 2.2.0, mmpretrain 1.2.0), but the installed mmcv {mmcv.__version__} with numpy '
                f'{np.__version__} no longer fails: use mmpretrain\'s ColorJitter instead.', stacklevel=2)

    def transform(self, results: dict) -> dict:
        img = results['img']
        order, brightness, contrast, saturation, hue = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(img, brightness, backend=self.backend)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast, backend=self.backend)
            elif index == 2 and saturation is not None:
                img = mmcv.adjust_color(img, alpha=saturation, backend=self.backend)
            elif index == 3 and hue is not None:
                img = adjust_hue(img, hue, backend=self.backend)
        results['img'] = img
        return results
