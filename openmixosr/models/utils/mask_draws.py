"""Steps 1-2 of AutoMix's Momentum Pipeline (AutoMix Sec. 3.2; docs/automix.md, Method reference), shared by the
supervised and self-supervised algorithms."""
from typing import Dict

import torch
from torch import nn

from .mixing import random_pairing, sample_lam


def finite_masks(mix_block: nn.Module, features: torch.Tensor, lam: float, index: torch.Tensor, out_size,
                 iteration: int) -> Dict[str, torch.Tensor]:
    """The Mix Block's output, with a clear error when the mask is not finite."""
    output = mix_block(features, lam, index, out_size)
    if not torch.isfinite(output['mask']).all():
        raise FloatingPointError(
            f'The Mix Block produced NaN/Inf mask values at training iteration {iteration} (lam={lam:.3f}). Lower '
            f'the learning rate of the Mix Block (paramwise_cfg) or check the momentum-encoder features for NaN.')
    return output


def draw_mask_pair(mix_block: nn.Module, features: torch.Tensor, alpha: float, out_size, iteration: int) -> Dict:
    """Two independent ``(lam, j)`` draws and their masks from the momentum features ``z`` (AutoMix Sec. 3.2).

    ``s_mb`` keeps its graph (the generation loss trains the Mix Block through it); ``s_bb`` is made without a graph
    (the classification loss of ``q`` must not reach the Mix Block).

    Args:
        mix_block (nn.Module): ``MixBlock`` or ``MixBlockPlus``.
        features (Tensor): Momentum-encoder features ``z`` [N, C, h, w] of the batch to mix (no graph).
        alpha (float): ``lam ~ Beta(alpha, alpha)``.
        out_size (tuple): (H, W) of the images.
        iteration (int): 1-based training iteration, for the error message of a non-finite mask.

    Returns:
        dict: ``lam_mb``, ``index_mb``, ``generated`` (the Mix Block's output dict for the first draw),
        ``lam_bb``, ``index_bb`` and ``mask_bb`` (detached mask pair of the second draw).
    """
    batch_size, device = features.size(0), features.device
    lam_mb, index_mb = sample_lam(alpha), random_pairing(batch_size, device)
    lam_bb, index_bb = sample_lam(alpha), random_pairing(batch_size, device)
    generated = finite_masks(mix_block, features, lam_mb, index_mb, out_size, iteration)
    with torch.no_grad():
        mask_bb = finite_masks(mix_block, features, lam_bb, index_bb, out_size, iteration)['mask']
    return dict(lam_mb=lam_mb, index_mb=index_mb, generated=generated, lam_bb=lam_bb, index_bb=index_bb,
                mask_bb=mask_bb)
