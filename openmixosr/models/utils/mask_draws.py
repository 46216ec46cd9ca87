"""Steps 1-2 of AutoMix's Momentum Pipeline (AutoMix Sec. 3.2; docs/automix.md, Method reference), shared by the
supervised and self-supervised algorithms."""
from contextlib import contextmanager
from typing import Dict, Optional

import torch
from torch import nn

from .mixing import random_pairing, sample_lam
from .truncated_forward import forward_until


def finite_masks(mix_block: nn.Module, features: torch.Tensor, lam: float, index: torch.Tensor, out_size,
                 iteration: Optional[int] = None) -> Dict[str, torch.Tensor]:
    """The Mix Block's output, with a clear error when the mask is not finite (``iteration``: for the message)."""
    output = mix_block(features, lam, index, out_size)
    if not torch.isfinite(output['mask']).all():
        when = f' at training iteration {iteration}' if iteration is not None else ''
        raise FloatingPointError(
            f'The Mix Block produced NaN/Inf mask values{when} (lam={lam:.3f}). Lower '
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


FEATURE_STATISTICS = ('batch', 'running')


def momentum_features(backbone: nn.Module, inputs: torch.Tensor, mix_layer: str,
                      statistics: str = 'batch') -> torch.Tensor:
    """The Mix Block's features: ``backbone`` up to ``mix_layer`` on ``inputs``.

    ``statistics='batch'`` runs the backbone in its current mode (train mode during training: BatchNorm on the batch's
    statistics, as the authors' code does); ``'running'`` runs it in eval mode (BatchNorm on its running statistics)
    and restores every submodule's mode afterwards.
    """
    if statistics not in FEATURE_STATISTICS:
        raise ValueError(f'statistics must be one of {FEATURE_STATISTICS}, got {statistics!r}')
    if statistics == 'batch':
        return forward_until(backbone, inputs, mix_layer)
    modes = [module.training for module in backbone.modules()]
    backbone.eval()
    try:
        return forward_until(backbone, inputs, mix_layer)
    finally:
        for module, mode in zip(backbone.modules(), modes):
            module.training = mode


@contextmanager
def drawn_as_in_training(*modules: nn.Module):
    """Run ``modules`` in train mode (BatchNorm on the batch's statistics, as when the Mix Block was trained), then
    put back every submodule's mode and every buffer, so that drawing leaves a frozen module unchanged."""
    modes = [[module.training for module in root.modules()] for root in modules]
    saved = [{name: buffer.clone() for name, buffer in root.named_buffers()} for root in modules]
    try:
        for root in modules:
            root.train()
        yield
    finally:
        for root, root_modes, buffers in zip(modules, modes, saved):
            for module, mode in zip(root.modules(), root_modes):
                module.training = mode
            with torch.no_grad():
                for name, buffer in root.named_buffers():
                    buffer.copy_(buffers[name])


@torch.no_grad()
def masks_as_in_training(backbone: nn.Module, mix_block: nn.Module, mix_layer: str, inputs: torch.Tensor, lam: float,
                         index: torch.Tensor, feature_statistics: str = 'batch') -> Dict[str, torch.Tensor]:
    """The Mix Block's output for ``inputs`` drawn the way a training step draws it, for viewers and frozen use.

    Training computes the features with the momentum encoder in train mode (BatchNorm on the batch's statistics) and
    runs the Mix Block in train mode; an eval-mode draw (running statistics) can give very different masks. Here both
    run in train mode; their modes and every buffer (running statistics) are restored afterwards, so the call leaves
    the model as it found it.

    Args:
        backbone (nn.Module): The momentum encoder's backbone (``k``'s first part).
        mix_block (nn.Module): ``MixBlock`` or ``MixBlockPlus``.
        mix_layer (str): Backbone submodule whose output feeds the Mix Block.
        inputs (Tensor): Normalised images [N, C, H, W] (a batch of several images: batch statistics).
        lam (float): Mixing ratio.
        index (LongTensor): Pairing [N].
        feature_statistics (str): The model's ``mix_feature_stats`` (:func:`momentum_features`). Defaults to
            ``'batch'``.

    Returns:
        dict: The Mix Block's output (``mask``, ``raw_mask``, ``attention``).
    """
    with drawn_as_in_training(backbone, mix_block):
        features = momentum_features(backbone, inputs, mix_layer, feature_statistics)
        return mix_block(features, lam, index, inputs.shape[-2:])
