"""CutMix that keeps the bookkeeping, drawing exactly as mmpretrain's ``CutMix``.

mmpretrain's ``CutMix`` returns only the mixed images and scores and pastes the box into the raw batch in place. The
distillation step needs the pairing ``j``, the corrected ``lam`` and the raw images (the teacher sees ``x``,
``T(x_j)`` is ``T(x)[j]``, the relabel target needs ``lam``). :class:`PairedCutMix` makes the same random calls in
the same order as mmpretrain's ``CutMix.mix`` and uses its box (``cutmix_bbox_and_lam``): the "+CutMix" baseline
(``OpenSetClassifier(mixer=dict(type='PairedCutMix'))``) repeats the runs once made with mmpretrain's ``CutMix``, and
with the same generator states it and the distiller see the same box and the same corrected lam: "+CutMix" and
"+CutMix+KD" rows differ in the distillation only. Docs: docs/asymmetric_distillation.md (Method reference, mixing).
"""
import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import CutMix

from openmixosr.registry import MIXERS
from ..utils.mixing import MixedBatch
from .base import PairedMixer, check_alpha, check_images


@MIXERS.register_module()
class PairedCutMix(PairedMixer):
    """CutMix with bookkeeping: paste one box of ``x[j]`` into a copy of ``x``, return ``(x_m, j, lam)``.

    ``lam ~ Beta(alpha, alpha)``, then ``j = perm(N)``; the box (mmpretrain's ``rand_bbox``) has sides
    ``int(H * sqrt(1 - lam))`` by ``int(W * sqrt(1 - lam))`` around a uniformly drawn centre ``(cy, cx)``:
    ``[cy - h // 2, cy + h // 2)`` clipped to the image (same along x), one box for the whole batch; ``lam`` is then
    corrected to ``1 - box_area / (H * W)``, the exact share of ``x_i`` in every mixed image whose partner is another
    image (CutMix paper, Yun et al. 2019).

    Args:
        alpha (float): Beta parameter, > 0. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_alpha(alpha)
        # mmpretrain's box draw and lam correction (its public `cutmix_bbox_and_lam`), used as it is.
        self.box_sampler = CutMix(alpha=self.alpha, cutmix_minmax=None, correct_lam=True)

    def forward(self, inputs: torch.Tensor) -> MixedBatch:
        """Mix a copy of ``inputs`` (left unchanged); returns the mixed images, the pairing and the corrected lam."""
        check_images(inputs)
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(inputs.size(0)).to(inputs.device)
        (y1, y2, x1, x2), lam = self.box_sampler.cutmix_bbox_and_lam(inputs.shape[-2:], lam)
        mixed = inputs.clone()
        mixed[:, :, y1:y2, x1:x2] = inputs[index, :, y1:y2, x1:x2]
        return MixedBatch(mixed, index, float(lam))

    def extra_repr(self) -> str:
        return f'alpha={self.alpha}'
