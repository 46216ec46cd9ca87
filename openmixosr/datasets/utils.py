"""Small helpers shared by the array-backed source datasets (Digits, MNIST, SVHN)."""
from typing import List

import numpy as np

# Digit datasets name their classes by the digit, so label i is the digit i in all three.
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))


def gray_to_rgb(images: np.ndarray) -> np.ndarray:
    """Replicate N x H x W gray images to N x H x W x 3 so every benchmark feeds the same 3-channel models.

    Args:
        images (np.ndarray): Gray images, shape (N, H, W).

    Returns:
        np.ndarray: Contiguous copy of shape (N, H, W, 3), same dtype.
    """
    if images.ndim != 3:
        raise ValueError(f'expected gray images of shape (N, H, W), got {images.shape}')
    return np.ascontiguousarray(np.repeat(images[..., None], 3, axis=-1))


def array_data_list(images: np.ndarray, labels: np.ndarray) -> List[dict]:
    """Turn image and label arrays into mmpretrain data infos ``{'img': HxWx3 uint8, 'gt_label': int}``.

    Args:
        images (np.ndarray): Images, shape (N, H, W, 3), dtype uint8.
        labels (np.ndarray): Integer labels, shape (N,).

    Returns:
        list[dict]: One data info per sample.
    """
    if len(images) != len(labels):
        raise ValueError(f'{len(images)} images but {len(labels)} labels')
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f'expected uint8 images of shape (N, H, W, 3), got {images.dtype} {images.shape}')
    return [dict(img=img, gt_label=int(label)) for img, label in zip(images, labels)]
