"""MixUp that keeps the bookkeeping, drawing exactly as mmpretrain's ``Mixup``."""
import numpy as np
import torch

from openmixosr.registry import MIXERS
from ..utils.mixing import MixedBatch
from .base import PairedMixer, check_alpha, check_images


@MIXERS.register_module()
class PairedMixUp(PairedMixer):
    """MixUp with bookkeeping: ``x_m = lam * x + (1 - lam) * x[j]``, ``lam ~ Beta(alpha, alpha)``, ``j = perm(N)``.

    The random calls are mmpretrain's ``Mixup.mix``, in its order: ``lam = np.random.beta(alpha, alpha)``, then
    ``index = torch.randperm(N)`` (torch's CPU generator, then moved to the images' device). With the same generator
    states, mmpretrain's ``Mixup`` and this mixer make the same mixed images.

    Args:
        alpha (float): Beta parameter, > 0. Defaults to 1.0.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = check_alpha(alpha)

    def forward(self, inputs: torch.Tensor) -> MixedBatch:
        """Mix a copy of ``inputs`` (left unchanged); returns the mixed images, the pairing and lam (a float)."""
        check_images(inputs)
        lam = float(np.random.beta(self.alpha, self.alpha))
        index = torch.randperm(inputs.size(0)).to(inputs.device)
        return MixedBatch(lam * inputs + (1 - lam) * inputs[index], index, lam)

    def extra_repr(self) -> str:
        return f'alpha={self.alpha}'
