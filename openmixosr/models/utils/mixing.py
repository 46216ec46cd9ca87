"""Pixel-mask mixing shared by the learned-mixup algorithms (AutoMix, AMix).

Three small pieces of the mixed-sample bookkeeping of SPEC section 1: draw ``lam``, draw the pairing ``j``, and mix a
batch with a two-channel mask without touching the raw images.
"""
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
