"""Image transforms that fix upstream ones for the installed numpy."""
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


@TRANSFORMS.register_module()
class ColorJitter(MMPretrainColorJitter):
    """mmpretrain's ``ColorJitter`` (same arguments, same random draws, same random order) with a hue jitter that
    works under numpy 2.

    mmpretrain's transform calls ``mmcv.adjust_hue``, which fails on every negative hue draw with numpy 2 (MoCo v2's
    ``hue=0.1`` draws a negative factor half of the time); this one rotates the hue with :func:`adjust_hue`.
    """

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
