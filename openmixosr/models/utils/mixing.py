"""Mixed-sample bookkeeping shared by every mixing method (docs/automix.md, Method reference).

Draw ``lam``, draw the pairing ``j``, mix a batch with a two-channel mask (AutoMix, AMix) and build the mixed soft
label; every mix returns a new tensor and leaves the raw images untouched. What a mix returns is a
:class:`MixedBatch`; the mixers that draw one (CutMix, MixUp) are in :mod:`openmixosr.models.paired_mixers`.
"""
from numbers import Real
from typing import NamedTuple, Optional, Union

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


def check_lam(lam: Union[float, torch.Tensor], batch_size: Optional[int] = None) -> Union[float, torch.Tensor]:
    """Check a mixing ratio ``lam``, the share of ``x_i`` in the mix: the one check of every function that takes one.

    ``lam`` is one value for the batch (a real number or a 0-dim tensor: CutMix, MixUp, the lam a Mix Block is asked
    for) or, when ``batch_size`` is given, one value per sample (a tensor [N]: a learned mask's means). Every value
    must be finite and in [0, 1]. A tensor's values are checked where it lives (one synchronisation on an
    accelerator).

    Args:
        lam (float | Tensor): The mixing ratio.
        batch_size (int, optional): N, to accept one value per sample; None accepts one value for the batch only.

    Returns:
        float | Tensor: A real number as a python float; a tensor as it is (same dtype, device and graph), so each
        caller keeps its own precision rules.

    Raises:
        ValueError: ``lam`` is no real number or tensor, a tensor of another shape, or a value outside [0, 1] (NaN and
            infinities included).
    """
    if torch.is_tensor(lam):
        if lam.dim() != 0 and (batch_size is None or lam.shape != (batch_size, )):
            per_sample = '' if batch_size is None else f' or a tensor [N={batch_size}]'
            raise ValueError(f'lam must be one value for the batch (a float or a 0-dim tensor){per_sample}, got a '
                             f'tensor of shape {tuple(lam.shape)}')
        inside = (lam >= 0) & (lam <= 1)  # False for NaN
        if not bool(inside.all()):
            outside = lam.detach().reshape(-1)[~inside.reshape(-1)][:4].tolist()
            raise ValueError(f'lam must be in [0, 1] for every sample, got {outside}'
                             f'{" among others" if int((~inside).sum()) > 4 else ""}')
        return lam
    if isinstance(lam, bool) or not isinstance(lam, Real):
        raise ValueError(f'lam must be a float in [0, 1] or a tensor, got {type(lam).__name__} {lam!r}')
    if not 0.0 <= lam <= 1.0:  # False for NaN
        raise ValueError(f'lam must be in [0, 1], got {lam!r}')
    return float(lam)


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
    """Mixed soft label ``y_m = lam * onehot(y_i) + (1 - lam) * onehot(y_j)``, ``y_j = labels[index]``.

    The label mixup ``g(y_i, y_j, lam)`` of AMix Eq. 3 (and the ``y_m`` of the asymmetric distillation paper, Sec. 3).

    Each weight, ``lam`` and ``1 - lam``, is computed in lam's precision, then rounded to the label's dtype (the
    default float dtype): a float ``lam`` in the label's dtype (as a Python scalar beside a float32 tensor in torch
    arithmetic), a tensor ``lam`` in the wider of its own dtype and the label's. A float64 ``lam`` thus gives
    mmpretrain's ``lam * score + (1 - lam) * score[j]``, whose Python-float ``1 - lam`` is computed in double
    precision: the classifier baselines pass it so (:class:`~openmixosr.models.classifiers.OpenSetClassifier`), and
    their rows repeat those trained with mmpretrain's ``CutMix`` / ``Mixup`` bit for bit. The two roundings of
    ``1 - lam`` differ in its last bit for about 41 % of MixUp's ``Beta(1, 1)`` draws (measured on 10,000); CutMix's
    corrected lam ``1 - area / (H W)`` is exact in float32 for images of 2^k pixels, where they agree.

    Args:
        labels (LongTensor): Labels of the raw batch, [N].
        index (LongTensor): Pairing, [N].
        lam (float | Tensor): Weight of ``y_i``: one float, or a tensor (0-dim, or [N] per sample).
        num_classes (int): K.

    Returns:
        Tensor: Soft labels [N, K] (default float dtype), rows summing to 1.
    """
    if labels.dim() != 1 or index.shape != labels.shape:
        raise ValueError(f'expected labels [N] and index [N], got {tuple(labels.shape)} and {tuple(index.shape)}')
    lam = check_lam(lam, labels.numel())
    onehot = torch.nn.functional.one_hot(labels, num_classes).to(torch.get_default_dtype())
    if not torch.is_tensor(lam):
        lam = torch.tensor(lam, dtype=onehot.dtype)
    lam = lam.to(torch.promote_types(lam.dtype, onehot.dtype))
    own, partner = lam.to(onehot), (1 - lam).to(onehot)
    if lam.dim() == 1:
        own, partner = own[:, None], partner[:, None]
    return own * onehot + partner * onehot[index]


class MixedBatch(NamedTuple):
    """What a mix with bookkeeping returns (:class:`~openmixosr.models.paired_mixers.PairedMixer`).

    Attributes:
        inputs (Tensor): The mixed images ``x_m`` [N, C, H, W], a new tensor (the raw batch is untouched).
        index (LongTensor): The pairing ``j`` [N]: sample ``i`` is mixed with sample ``index[i]``.
        lam (float | Tensor): Share of ``x_i`` in ``x_m``: one float for the batch (CutMix after the box-area
            correction, MixUp), or a tensor [N] with one value per sample (a learned mask: its mean).
        mask (Tensor, optional): The mask pair [N, 2, H, W] that made ``inputs`` (``mask_mix(x, mask, index)``),
            when the mixer draws one (learned masks); None for CutMix and MixUp. Defaults to None.
        generation (dict, optional): Set by a mixer whose Mix Block is being trained: what its generation loss
            needs (``drawn_lam``, the lam the Mix Block was asked for, and ``raw_mask``); ``inputs`` and ``mask``
            then carry the graph into the Mix Block. None otherwise (and then nothing in the batch has a graph).
    """
    inputs: torch.Tensor
    index: torch.Tensor
    lam: Union[float, torch.Tensor]
    mask: Optional[torch.Tensor] = None
    generation: Optional[dict] = None

    def detached(self) -> 'MixedBatch':
        """The same mix without a graph (what a network other than the Mix Block's judge trains on)."""
        lam = self.lam.detach() if torch.is_tensor(self.lam) else self.lam
        mask = None if self.mask is None else self.mask.detach()
        return MixedBatch(self.inputs.detach(), self.index, lam, mask, None)
