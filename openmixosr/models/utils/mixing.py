"""Mixed-sample bookkeeping of SPEC section 1, shared by every mixing method.

Draw ``lam``, draw the pairing ``j``, mix a batch with a two-channel mask (AutoMix, AMix) or with CutMix / MixUp, and
build the mixed soft label; every mix returns a new tensor and leaves the raw images untouched.
"""
import math
from typing import NamedTuple, Tuple, Union

import numpy as np
import torch


def sample_lam(alpha: float) -> float:
    """Draw one mixing ratio ``lam ~ Beta(alpha, alpha)``.

    The draw uses numpy's global generator (``np.random.beta``), whose state
    :class:`~openmixosr.engine.hooks.RandomStateHook` stores in the checkpoints, so a resumed run draws the same
    sequence.

    Args:
        alpha (float): Both parameters of the Beta distribution; must be > 0.

    Returns:
        float: ``lam`` in [0, 1].
    """
    if not alpha > 0:
        raise ValueError(f'alpha must be > 0 for Beta(alpha, alpha), got {alpha}')
    return float(np.random.beta(alpha, alpha))


def random_pairing(batch_size: int, device=None) -> torch.Tensor:
    """Draw the pairing ``j = perm(N)``: sample ``i`` is mixed with sample ``index[i]``.

    Args:
        batch_size (int): N.
        device (torch.device | str, optional): Device of the returned index. Defaults to the CPU.

    Returns:
        LongTensor: A random permutation of ``0..N-1`` (``torch.randperm``, so torch's generator drives it).
    """
    return torch.randperm(batch_size, device=device)


def mask_mix(inputs: torch.Tensor, mask: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Mix a batch with a pixel mask pair: ``x_mix = mask[:, 0] * x + mask[:, 1] * x[index]``.

    ``mask[:, 0]`` is the weight ``s`` of the sample itself, ``mask[:, 1]`` (normally ``1 - s``) the weight of its
    partner. The result is a new tensor: ``inputs`` is left unchanged, and gradients reach ``mask`` (the AutoMix
    generation loss trains the Mix Block through it).

    Args:
        inputs (Tensor): Images of shape [N, C, H, W].
        mask (Tensor): Mask pair of shape [N, 2, H, W].
        index (LongTensor): Pairing of shape [N].

    Returns:
        Tensor: Mixed images of shape [N, C, H, W].
    """
    if inputs.dim() != 4 or mask.dim() != 4 or mask.size(1) != 2:
        raise ValueError(f'expected inputs [N, C, H, W] and mask [N, 2, H, W], got {tuple(inputs.shape)} and '
                         f'{tuple(mask.shape)}')
    if mask.size(0) != inputs.size(0) or mask.shape[2:] != inputs.shape[2:]:
        raise ValueError(f'mask {tuple(mask.shape)} does not match inputs {tuple(inputs.shape)}')
    return mask[:, 0:1] * inputs + mask[:, 1:2] * inputs[index]


def mixed_soft_label(labels: torch.Tensor, index: torch.Tensor, lam: Union[float, torch.Tensor],
                     num_classes: int) -> torch.Tensor:
    """Mixed soft label (SPEC section 1): ``y_m = lam * onehot(y_i) + (1 - lam) * onehot(y_j)``, ``y_j = labels[index]``.

    Args:
        labels (LongTensor): Labels of the raw batch, [N].
        index (LongTensor): Pairing, [N].
        lam (float | Tensor): Weight of ``y_i``: one float, or a tensor [N] (per sample).
        num_classes (int): K.

    Returns:
        Tensor: Soft labels [N, K] (default float dtype), rows summing to 1.
    """
    if labels.dim() != 1 or index.shape != labels.shape:
        raise ValueError(f'expected labels [N] and index [N], got {tuple(labels.shape)} and {tuple(index.shape)}')
    onehot = torch.nn.functional.one_hot(labels, num_classes).to(torch.get_default_dtype())
    lam = torch.as_tensor(lam, dtype=onehot.dtype, device=onehot.device)
    if lam.dim() == 1:
        if lam.numel() != labels.numel():
            raise ValueError(f'lam must be a float or a tensor [N={labels.numel()}], got shape {tuple(lam.shape)}')
        lam = lam[:, None]
    elif lam.dim() > 1:
        raise ValueError(f'lam must be a float or a tensor [N={labels.numel()}], got shape {tuple(lam.shape)}')
    return lam * onehot + (1 - lam) * onehot[index]


class MixedBatch(NamedTuple):
    """What a mix with bookkeeping returns (SPEC section 1).

    Attributes:
        inputs (Tensor): The mixed images ``x_m`` [N, C, H, W], a new tensor (the raw batch is untouched).
        index (LongTensor): The pairing ``j`` [N]: sample ``i`` is mixed with sample ``index[i]``.
        lam (float): Share of ``x_i`` in ``x_m``, one value for the batch (after box-area correction for CutMix).
    """
    inputs: torch.Tensor
    index: torch.Tensor
    lam: float


def _check_images(inputs: torch.Tensor) -> None:
    if inputs.dim() != 4:
        raise ValueError(f'expected images [N, C, H, W], got {tuple(inputs.shape)}')


def cutmix_box_size(lam: float, height: int, width: int) -> Tuple[int, int]:
    """Side lengths of the CutMix box before clipping: ``round(H * sqrt(1 - lam))`` by ``round(W * sqrt(1 - lam))``.

    Their product is the area ``(1 - lam) * H * W`` up to the rounding of each side (exact when ``H * sqrt(1 - lam)``
    and ``W * sqrt(1 - lam)`` are integers), and the box keeps the image's aspect ratio.
    """
    ratio = math.sqrt(1.0 - lam)
    return int(round(height * ratio)), int(round(width * ratio))


def cutmix_box(lam: float, height: int, width: int) -> Tuple[int, int, int, int]:
    """Draw the CutMix box ``(y1, y2, x1, x2)`` (SPEC section 1): area ``(1 - lam) * H * W``, clipped to the image.

    The centre is a pixel drawn uniformly from the image with numpy's global generator (``np.random.randint``, the
    generator of :func:`sample_lam`); the box ``[cy - h // 2, cy - h // 2 + h)`` (same along x) is then clipped, so
    near a border it covers less than ``(1 - lam) * H * W``.

    Args:
        lam (float): The drawn mixing ratio.
        height (int): H.
        width (int): W.

    Returns:
        tuple[int]: ``(y1, y2, x1, x2)``; the box is ``[y1:y2, x1:x2]``, possibly empty.
    """
    cut_h, cut_w = cutmix_box_size(lam, height, width)
    cy = np.random.randint(height)
    cx = np.random.randint(width)
    y1, x1 = cy - cut_h // 2, cx - cut_w // 2
    y1, y2 = max(y1, 0), min(y1 + cut_h, height)
    x1, x2 = max(x1, 0), min(x1 + cut_w, width)
    return y1, y2, x1, x2


def cutmix(inputs: torch.Tensor, alpha: float) -> MixedBatch:
    """CutMix with bookkeeping (SPEC section 1): paste a box of ``x[index]`` into a copy of ``x``.

    ``lam ~ Beta(alpha, alpha)`` (:func:`sample_lam`), ``index = perm(N)`` (:func:`random_pairing`), one box for the
    whole batch (:func:`cutmix_box`); ``lam`` is then corrected to ``1 - box_area / (H * W)``, the exact share of
    ``x_i`` in every mixed image whose partner is another image.

    Args:
        inputs (Tensor): Raw images [N, C, H, W]; not modified.
        alpha (float): Beta parameter, > 0.

    Returns:
        MixedBatch: ``(inputs, index, lam)`` with the mixed images and the corrected ``lam``.
    """
    _check_images(inputs)
    lam = sample_lam(alpha)
    index = random_pairing(inputs.size(0), inputs.device)
    height, width = inputs.shape[-2:]
    y1, y2, x1, x2 = cutmix_box(lam, height, width)
    mixed = inputs.clone()
    mixed[:, :, y1:y2, x1:x2] = inputs[index, :, y1:y2, x1:x2]
    lam = 1.0 - (y2 - y1) * (x2 - x1) / (height * width)
    return MixedBatch(mixed, index, lam)


def mixup(inputs: torch.Tensor, alpha: float) -> MixedBatch:
    """MixUp with bookkeeping (SPEC section 1): ``x_m = lam * x + (1 - lam) * x[index]``.

    Args:
        inputs (Tensor): Raw images [N, C, H, W]; not modified.
        alpha (float): Beta parameter, > 0.

    Returns:
        MixedBatch: ``(inputs, index, lam)`` with the mixed images.
    """
    _check_images(inputs)
    lam = sample_lam(alpha)
    index = random_pairing(inputs.size(0), inputs.device)
    return MixedBatch(lam * inputs + (1 - lam) * inputs[index], index, lam)
