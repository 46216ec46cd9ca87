"""The contract of a paired mixer: images in, the mixed batch with its bookkeeping out.

A paired mixer mixes every sample ``x_i`` of a batch with a partner ``x_j(i)`` drawn by a permutation and returns,
besides the mixed images, what a loss on them needs: the pairing ``j`` (to reach ``y_j`` and ``T(x_j) = T(x)[j]``)
and ``lam``, the share of ``x_i`` (for mixed labels and lam-weighted terms). mmpretrain's batch augments
(``CutMix``, ``Mixup`` in a data preprocessor's ``batch_augments``) return only mixed images and mixed scores, so a
paired mixer is chosen in an algorithm's config instead (``mixer=dict(type='PairedCutMix', alpha=1.0)``) and lives
in its own registry, :data:`~openmixosr.registry.MIXERS`.
"""
from abc import ABCMeta, abstractmethod
from typing import Tuple

import torch
from torch import nn

from openmixosr.registry import BATCH_AUGMENTS, MIXERS
from ..utils.mixing import MixedBatch


class PairedMixer(nn.Module, metaclass=ABCMeta):
    """Base class of the paired mixers: ``mixer(inputs) -> MixedBatch(inputs=x_m, index=j, lam, mask)``.

    What every subclass guarantees:

    - ``inputs`` [N, C, H, W] is left unchanged; ``x_m`` is a new tensor;
    - ``index`` [N] is a permutation of ``0..N-1``: sample ``i`` is mixed with sample ``index[i]``;
    - ``lam`` is the share of ``x_i`` in ``x_m``: a float for the whole batch (CutMix, MixUp) or a tensor [N]
      (a learned mask, whose mean differs per sample); ``mixed_soft_label``, the mixup losses and the relabel target
      and the cross mutual information loss take both;
    - ``mask`` is the mask pair [N, 2, H, W] when the mixer draws one (``x_m = mask_mix(x, mask, index)``), else None;
    - random draws come from numpy's and torch's global generators, which
      :class:`~openmixosr.engine.hooks.RandomStateHook` stores in the checkpoints (a resumed run draws the same mixes).

    A mixer is an ``nn.Module`` so that one with parameters (a learned mask generator owning a Mix Block) becomes a
    submodule of the algorithm that holds it: its optimizer, checkpoints and DDP wrapper see the parameters, and the
    mixer also works on its own in a plain training loop. Hand-made mixers have no parameters and add nothing to a
    state dict. Register a subclass with ``@MIXERS.register_module()``.
    """

    #: What the mixer needs besides the images, by name (its ``forward`` keyword arguments): ``('features',)`` for a
    #: learned mixer fed by its owner's frozen network (the distiller offers its teacher's features); none for CutMix.
    mixer_inputs: Tuple[str, ...] = ()

    @abstractmethod
    def forward(self, inputs: torch.Tensor, **mixer_inputs) -> MixedBatch:
        """Mix ``inputs`` [N, C, H, W] with a drawn pairing; see the class docstring for what is returned."""


def check_alpha(alpha: float) -> float:
    """``alpha`` of ``Beta(alpha, alpha)`` as a float, or a ValueError unless it is > 0."""
    if not alpha > 0:
        raise ValueError(f'alpha must be > 0, got {alpha}')
    return float(alpha)


def check_images(inputs: torch.Tensor) -> None:
    """Raise a ValueError unless ``inputs`` is a batch of images [N, C, H, W]."""
    if inputs.dim() != 4:
        raise ValueError(f'expected images [N, C, H, W], got {tuple(inputs.shape)}')


def build_paired_mixer(cfg: dict) -> PairedMixer:
    """Build a :class:`PairedMixer` from :data:`~openmixosr.registry.MIXERS`, saying what is wrong otherwise.

    Args:
        cfg (dict): Mixer config, e.g. ``dict(type='PairedCutMix', alpha=1.0)``.

    Returns:
        PairedMixer: The mixer.

    Raises:
        KeyError: If ``cfg['type']`` is not a registered mixer; the message lists the registered ones and, for a
            batch augment such as mmpretrain's ``CutMix``, names its paired counterpart's registry.
        TypeError: If the registered class is not a :class:`PairedMixer`.
    """
    mixer_type = cfg.get('type')
    if isinstance(mixer_type, str) and MIXERS.get(mixer_type) is None:
        registered = sorted(MIXERS.module_dict)
        hint = ''
        if BATCH_AUGMENTS.get(mixer_type) is not None:
            hint = (f' {mixer_type!r} is a batch augment of a data preprocessor ((inputs, scores) -> (inputs, '
                    f'scores)), which drops the pairing and lam that the algorithm needs.')
        raise KeyError(f'{mixer_type!r} is not a paired mixer (registry MIXERS).{hint} Registered mixers: '
                       f'{registered}, e.g. mixer=dict(type=\'PairedCutMix\', alpha=1.0).')
    mixer = MIXERS.build(cfg)
    if not isinstance(mixer, PairedMixer):
        raise TypeError(f'{type(mixer).__name__} is registered in MIXERS but is not a PairedMixer.')
    return mixer
