"""Drawing learned masks: the features of a momentum encoder, the finite-mask check and drawing as in training.

Used by :class:`~openmixosr.models.paired_mixers.LearnedMaskMixer`, the one place that draws a Mix Block's masks,
and by the momentum models that feed it (AutoMix Sec. 3.2; docs/automix.md, Method reference).
"""
from contextlib import contextmanager
from typing import Dict

import torch
from torch import nn

from .truncated_forward import forward_until


def finite_masks(mix_block: nn.Module, features: torch.Tensor, lam: float, index: torch.Tensor,
                 out_size) -> Dict[str, torch.Tensor]:
    """The Mix Block's output, with a clear error when the mask is not finite."""
    output = mix_block(features, lam, index, out_size)
    if not torch.isfinite(output['mask']).all():
        raise FloatingPointError(
            f'The Mix Block produced NaN/Inf mask values (lam={lam:.3f}). Lower the learning rate of the Mix Block '
            f'(paramwise_cfg) or check its input features for NaN.')
    return output


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
