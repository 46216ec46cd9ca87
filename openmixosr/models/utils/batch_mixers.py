"""CutMix / MixUp that keep the bookkeeping, drawing exactly as mmpretrain's ``CutMix`` / ``Mixup``.

mmpretrain's ``CutMix`` and ``Mixup`` return only the mixed images and the mixed scores: they drop the pairing ``j``
and ``lam``, and CutMix pastes the box into the raw batch in place. The distillation step needs all three (the teacher
on the raw images, ``T(x_j)`` by the pairing, the relabel target from ``lam``), hence these subclasses. They make the
same random calls in the same order as mmpretrain's ``mix`` (``lam = np.random.beta``, ``index = torch.randperm``,
then CutMix's box from ``cutmix_bbox_and_lam``), so with the same generator states a baseline trained with
mmpretrain's ``CutMix`` and the distiller see the same box and the same corrected lam: "+CutMix" and "+CutMix+KD"
rows differ in the distillation only. Docs: docs/asymmetric_distillation.md (Method reference, mixing).

They take only the images (``__call__(inputs) -> MixedBatch``), so they are chosen in an algorithm's config
(``mixer=dict(type='PairedCutMix', alpha=1.0)``), not in a data preprocessor's ``batch_augments``, whose augments map
``(inputs, scores)`` to ``(inputs, scores)``.
"""
import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import CutMix, Mixup

from openmixosr.registry import BATCH_AUGMENTS
from .mixing import MixedBatch


def _check_alpha(alpha: float) -> float:
    if not alpha > 0:
        raise ValueError(f'alpha must be > 0, got {alpha}')
    return float(alpha)


def _check_images(inputs: torch.Tensor) -> None:
    if inputs.dim() != 4:
        raise ValueError(f'expected images [N, C, H, W], got {tuple(inputs.shape)}')


@BATCH_AUGMENTS.register_module()
class PairedMixUp(Mixup):
    """MixUp with bookkeeping: ``x_m = lam * x + (1 - lam) * x[j]``, ``lam ~ Beta(alpha, alpha)``, ``j = perm(N)``.

    Args:
        alpha (float): Beta parameter, > 0. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__(alpha=_check_alpha(alpha))

    def __call__(self, inputs: torch.Tensor) -> MixedBatch:
        """Mix a copy of ``inputs`` (left unchanged); returns the mixed images, the pairing and lam."""
        _check_images(inputs)
        lam = float(np.random.beta(self.alpha, self.alpha))
        index = torch.randperm(inputs.size(0)).to(inputs.device)
        return MixedBatch(lam * inputs + (1 - lam) * inputs[index], index, lam)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha})'


@BATCH_AUGMENTS.register_module()
class PairedCutMix(CutMix):
    """CutMix with bookkeeping: paste one box of ``x[j]`` into a copy of ``x``, return ``(x_m, j, lam)``.

    ``lam ~ Beta(alpha, alpha)``; the box (mmpretrain's ``rand_bbox``) has sides ``int(H * sqrt(1 - lam))`` by
    ``int(W * sqrt(1 - lam))`` around a uniformly drawn centre ``(cy, cx)``: ``[cy - h // 2, cy + h // 2)`` clipped to
    the image (same along x), one box for the whole batch; ``lam`` is then corrected to ``1 - box_area / (H * W)``, the
    exact share of ``x_i`` in every mixed image whose partner is another image (CutMix paper, Yun et al. 2019).

    Args:
        alpha (float): Beta parameter, > 0. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__(alpha=_check_alpha(alpha), cutmix_minmax=None, correct_lam=True)

    def __call__(self, inputs: torch.Tensor) -> MixedBatch:
        """Mix a copy of ``inputs`` (left unchanged); returns the mixed images, the pairing and the corrected lam."""
        _check_images(inputs)
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(inputs.size(0)).to(inputs.device)
        (y1, y2, x1, x2), lam = self.cutmix_bbox_and_lam(inputs.shape[-2:], lam)
        mixed = inputs.clone()
        mixed[:, :, y1:y2, x1:x2] = inputs[index, :, y1:y2, x1:x2]
        return MixedBatch(mixed, index, float(lam))

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha})'
