"""Pluggable CutMix / MixUp that keep the bookkeeping (SPEC section 1), in the ``BATCH_AUGMENTS`` registry.

mmpretrain's ``CutMix`` and ``Mixup`` return only the mixed images and the mixed scores: they drop the pairing ``j``
and ``lam``, and CutMix pastes the box into the raw batch in place. The distillation step needs all three (the teacher
on the raw images, ``T(x_j)`` by the pairing, the relabel target from ``lam``), hence these. They take only the images
(``__call__(inputs) -> MixedBatch``), so they are chosen in an algorithm's config
(``batch_mixer=dict(type='PairedCutMix', alpha=1.0)``), not in a data preprocessor's ``batch_augments``, whose
augments map ``(inputs, scores)`` to ``(inputs, scores)``.
"""
import torch

from openmixosr.registry import BATCH_AUGMENTS
from .mixing import MixedBatch, cutmix, mixup


@BATCH_AUGMENTS.register_module()
class PairedCutMix:
    """CutMix that returns the mixed images, the pairing and the box-corrected ``lam`` (:func:`cutmix`).

    Args:
        alpha (float): ``lam ~ Beta(alpha, alpha)``. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        if not alpha > 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        self.alpha = alpha

    def __call__(self, inputs: torch.Tensor) -> MixedBatch:
        return cutmix(inputs, self.alpha)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha})'


@BATCH_AUGMENTS.register_module()
class PairedMixUp:
    """MixUp that returns the mixed images, the pairing and ``lam`` (:func:`mixup`).

    Args:
        alpha (float): ``lam ~ Beta(alpha, alpha)``. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        if not alpha > 0:
            raise ValueError(f'alpha must be > 0, got {alpha}')
        self.alpha = alpha

    def __call__(self, inputs: torch.Tensor) -> MixedBatch:
        return mixup(inputs, self.alpha)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha})'
