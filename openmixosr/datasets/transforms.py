"""Image transforms that fix upstream ones (each under a new name; the upstream one stays as it is).

``HueSafeColorJitter`` exists because mmcv 2.2.0's ``adjust_hue`` (called by mmpretrain 1.2.0's ``ColorJitter``, the
latest releases, checked with numpy 2.4) raises ``OverflowError`` on every negative hue factor under numpy 2.
``PaddingModeRandomCrop`` exists because mmpretrain 1.2.0's ``RandomCrop`` pads its ``padding`` border with
``pad_val`` whatever ``padding_mode`` says (the mode reaches only the ``pad_if_needed`` padding), so
``padding_mode='reflect'`` silently pads with zeros. Each fix is guarded by what it fixes rather than by a version
number: :func:`upstream_hue_jitter_fails` and :func:`upstream_crop_ignores_padding_mode` probe the installed
packages once, and the transform warns when they no longer fail, so that the configs can go back to mmpretrain's.
"""
import functools
import warnings
from typing import Sequence, Union

import cv2
import mmcv
import numpy as np
from mmpretrain.datasets.transforms import ColorJitter as MMPretrainColorJitter
from mmpretrain.datasets.transforms import RandomCrop as MMPretrainRandomCrop
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


@functools.lru_cache(maxsize=None)
def upstream_crop_ignores_padding_mode() -> bool:
    """Whether mmpretrain's ``RandomCrop`` still pads its ``padding`` border with ``pad_val`` under
    ``padding_mode='reflect'`` (mmpretrain 1.2.0), i.e. while :class:`PaddingModeRandomCrop` is needed."""
    image = np.full((4, 4, 1), 7, np.uint8)
    crop = MMPretrainRandomCrop(crop_size=6, padding=1, padding_mode='reflect')
    return bool((crop.transform(dict(img=image))['img'] == 0).any())


@TRANSFORMS.register_module()
class PaddingModeRandomCrop(MMPretrainRandomCrop):
    """mmpretrain's ``RandomCrop`` (same arguments, same random draws) whose ``padding`` border follows
    ``padding_mode``: ``'reflect'`` pads by reflection (e.g. AMix's "RandomCrop with 4 pixels reflect padding" on
    CIFAR-100), ``'constant'`` with ``pad_val`` as mmpretrain's. Building it warns when the installed mmpretrain
    honours the mode already (:func:`upstream_crop_ignores_padding_mode`).

    Args:
        crop_size (int | Sequence[int]): Output size ``(h, w)``, or ``s`` for ``(s, s)``.
        padding (int | Sequence[int], optional): Border added before cropping: one value for all sides, ``(w, h)``
            or ``(left, top, right, bottom)``. Defaults to None (no border).
        pad_if_needed (bool): Pad an image smaller than ``crop_size``. Defaults to False.
        pad_val (Number | Sequence[Number]): Value of ``'constant'`` padding. Defaults to 0.
        padding_mode (str): ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'`` (``mmcv.impad``), for both
            borders. Defaults to ``'constant'``.
    """

    def __init__(self, crop_size, padding=None, pad_if_needed: bool = False, pad_val=0,
                 padding_mode: str = 'constant'):
        super().__init__(crop_size, padding=None, pad_if_needed=pad_if_needed, pad_val=pad_val,
                         padding_mode=padding_mode)
        self.border = padding
        if padding is not None and padding_mode != 'constant' and not upstream_crop_ignores_padding_mode():
            warnings.warn('PaddingModeRandomCrop works around mmpretrain 1.2.0\'s RandomCrop ignoring padding_mode for '
                          '`padding`, but the installed mmpretrain no longer does: use its RandomCrop instead.',
                          stacklevel=2)

    def transform(self, results: dict) -> dict:
        if self.border is not None:
            results['img'] = mmcv.impad(results['img'], padding=self.border, pad_val=self.pad_val,
                                        padding_mode=self.padding_mode)
        return super().transform(results)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, padding={self.border}, '
                f'pad_if_needed={self.pad_if_needed}, pad_val={self.pad_val}, padding_mode={self.padding_mode})')
