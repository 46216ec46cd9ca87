"""AutoMix's Mix Block (AutoMix Eq. 5-7; docs/automix.md, Method reference) and the machinery it shares with AMix's
Mix Block+.

The block turns momentum-encoder features of a batch and their pairing ``j`` into a pixel mask pair ``(s, 1 - s)``:

    a_i, a_j = lam embedding of z_i and z_j = z[j]
    P = softmax_row((W_P a_i)^T (W_P a_j) / sqrt(C/r))         [N, hw, hw]
    s = sigmoid(upsample(P @ W_Z a_i))                        [N, 1, H, W]
    L_lam = w * max(|lam - mean(s)| - eps, 0)

:class:`BaseMixBlock` owns the attention, the upsampling, the mask assembly and the lam term of the mask loss; a
subclass only says how lam is embedded, how the query/key and the value are computed, and whether the mask is
rescaled toward lam.
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from openmixosr.registry import MODELS
from ..utils.mixing import check_lam

OutSize = Union[int, Sequence[int]]


def append_lam_channel(z_i: torch.Tensor, z_j: torch.Tensor, lam: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """AutoMix's lam embedding: a constant channel ``lam`` appended to ``z_i`` and ``1 - lam`` to ``z_j``.

    Args:
        z_i (Tensor): Features of the samples, [N, C, h, w].
        z_j (Tensor): Features of their partners ``z[index]``, [N, C, h, w].
        lam (float): Mixing ratio (weight of ``x_i``).

    Returns:
        tuple[Tensor, Tensor]: The embedded features, [N, C + 1, h, w] each.
    """
    n, _, h, w = z_i.shape
    return (torch.cat([z_i, z_i.new_full((n, 1, h, w), lam)], dim=1),
            torch.cat([z_j, z_j.new_full((n, 1, h, w), 1 - lam)], dim=1))


def pixel_attention(query: torch.Tensor, key: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Embedded-Gaussian attention between positions: ``P = softmax_row(query^T key / (T sqrt(d)))``.

    Row ``a`` of ``P`` holds the weights of every key position for query position ``a``; every row sums to 1.

    Args:
        query (Tensor): [N, d, h, w].
        key (Tensor): [N, d, h, w].
        temperature (float): ``T``; 1 is the papers' ``sqrt(d)`` normalisation, smaller sharpens ``P``.

    Returns:
        Tensor: ``P`` of shape [N, hw, hw].
    """
    d = query.size(1)
    logits = torch.bmm(query.flatten(2).transpose(1, 2), key.flatten(2)) / (temperature * math.sqrt(d))
    return logits.softmax(dim=-1)


def sample_mean(s: torch.Tensor) -> torch.Tensor:
    """Mean of a mask over everything but the batch dimension: [N, ...] -> [N]."""
    return s.flatten(1).mean(dim=1)


class BaseMixBlock(BaseModule):
    """Pixel-mask generator shared by :class:`MixBlock` (AutoMix) and :class:`MixBlockPlus` (AMix).

    Subclasses implement ``_embed_lam`` (features -> lam-embedded ``a_i``, ``a_j``), ``_project`` (query and key,
    [N, C/r, h, w] each), ``_content`` (value, [N, 1, h, w] from ``a_i``) and may override ``_adjust`` (rescale the
    upsampled mask toward lam; identity here).

    Args:
        in_channels (int): Channels C of the features.
        reduction (int): Query/key channels are ``C // reduction``.
        upsample (str): ``'nearest'`` or ``'bilinear'`` (``align_corners=False``); applied to the mask logits
            before the sigmoid.
        lam_margin (float): ``eps`` of the mask loss: deviations of ``mean(s)`` from lam up to ``eps`` are free.
        mask_loss_weight (float): ``w`` of the mask loss at the start of training, kept as
            ``initial_mask_loss_weight``. The attribute ``mask_loss_weight`` is the current ``w``, which
            :meth:`mask_loss` reads at every call; :class:`~openmixosr.engine.hooks.MomentumPipelineHook` schedules it
            from ``initial_mask_loss_weight`` to its ``end_mask_loss_weight`` during training.
        attention_temperature (float): ``T`` of :func:`pixel_attention` (ours, not the papers'): 1 (default) is the
            papers' attention; a smaller ``T`` makes ``P`` leave the uniform attention sooner (docs/automix.md,
            "Does the Mix Block learn where to mix?").
        value_source (str): Which image the value ``W_Z a`` comes from. ``'i'``: ``s = sigmoid(U(P @ W_Z a_i))``,
            AutoMix Eq. 5 as printed. ``'j'``: the value comes from the partner, the image the keys come from, as in the
            authors' code: ``s_j = sigmoid(U(P @ W_Z a_j))`` and ``s = 1 - s_j`` (the paper's "take z_j as the
            value ... s_i = 1 - s_j"). With the cross attention of AutoMix, ``'j'`` is ordinary attention (keys and
            values of one image) and ``'i'`` averages ``x_i``'s values over positions chosen by ``x_j``'s keys.
        init_cfg (dict, optional): Initialisation config. Defaults to None (PyTorch's default initialisation).
    """

    def __init__(self, in_channels: int, reduction: int, upsample: str, lam_margin: float, mask_loss_weight: float,
                 attention_temperature: float = 1.0, value_source: str = 'j', init_cfg: Optional[dict] = None):
        super().__init__(init_cfg)
        if upsample not in ('nearest', 'bilinear'):
            raise ValueError(f"upsample must be 'nearest' or 'bilinear', got {upsample!r}")
        if reduction < 1 or in_channels // reduction < 1:
            raise ValueError(f'in_channels // reduction must be >= 1, got {in_channels} // {reduction}')
        if lam_margin < 0:
            raise ValueError(f'lam_margin must be >= 0, got {lam_margin}')
        if not attention_temperature > 0:
            raise ValueError(f'attention_temperature must be > 0, got {attention_temperature}')
        self.attention_temperature = attention_temperature
        if value_source not in ('i', 'j'):
            raise ValueError(f"value_source must be 'i' or 'j', got {value_source!r}")
        self.value_source = value_source
        self.in_channels = in_channels
        self.reduction = reduction
        self.inter_channels = in_channels // reduction
        self.upsample = upsample
        self.lam_margin = lam_margin
        self.initial_mask_loss_weight = mask_loss_weight
        self.mask_loss_weight = mask_loss_weight

    def _embed_lam(self, z_i: torch.Tensor, z_j: torch.Tensor, lam: float) -> Tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _project(self, a_i: torch.Tensor, a_j: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _content(self, a_i: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _adjust(self, s: torch.Tensor, lam: float) -> torch.Tensor:
        return s

    def forward(self, feat: torch.Tensor, lam: float, index: torch.Tensor,
                out_size: OutSize) -> Dict[str, torch.Tensor]:
        """Make the mask pair ``(s, 1 - s)`` that mixes ``x_i`` with ``x[index]``.

        One batched pass (``torch.bmm``, no loop over the batch): ``s = sigmoid(upsample(P @ W_Z a_i))``.

        Args:
            feat (Tensor): Momentum-encoder features z, [N, C, h, w].
            lam (float): One mixing ratio for the batch (the target mean of ``s``).
            index (LongTensor): Pairing ``j``, [N].
            out_size (int | tuple[int, int]): Image size (H, W) of the mask.

        Returns:
            dict[str, Tensor]:
            - ``mask``: [N, 2, H, W] float32; channel 0 is ``s`` (weight of ``x``), channel 1 is ``1 - s`` (weight of
              ``x[index]``); the channels sum to 1. Rescaled toward lam when the block adjusts lam.
            - ``raw_mask``: the same before the lam adjusting (the mask loss takes this one); the very same tensor as
              ``mask`` when nothing is adjusted.
            - ``attention``: ``P``, [N, hw, hw], rows summing to 1.
        """
        lam = float(check_lam(lam))  # one mixing ratio for the whole batch
        if feat.dim() != 4 or feat.size(1) != self.in_channels:
            raise ValueError(f'expected features [N, {self.in_channels}, h, w], got {tuple(feat.shape)}')
        n, _, h, w = feat.shape
        a_i, a_j = self._embed_lam(feat, feat[index], lam)
        attention = pixel_attention(*self._project(a_i, a_j), temperature=self.attention_temperature)
        value = self._content(a_i if self.value_source == 'i' else a_j).flatten(2).transpose(1, 2)  # [N, hw, 1]
        logits = torch.bmm(attention, value).transpose(1, 2).reshape(n, 1, h, w)
        # float32 from here: the mask weights raw float32 images and its mean is matched to lam.
        align_corners = False if self.upsample == 'bilinear' else None
        logits = F.interpolate(logits.float(), size=out_size, mode=self.upsample, align_corners=align_corners)
        raw = torch.sigmoid(logits if self.value_source == 'i' else -logits)  # 'j': s = 1 - sigmoid(logits)
        s = self._adjust(raw, lam)
        mask = torch.cat([s, 1 - s], dim=1)
        raw_mask = mask if s is raw else torch.cat([raw, 1 - raw], dim=1)
        return dict(mask=mask, raw_mask=raw_mask, attention=attention)

    def lam_loss(self, mask: torch.Tensor, lam: Union[float, torch.Tensor]) -> torch.Tensor:
        """Unweighted lam term ``max(|lam - mu| - eps, 0)``, per sample (``mu`` = spatial mean of ``s``), then
        averaged over the batch.

        Args:
            mask (Tensor): Mask pair [N, 2, H, W]; only ``s = mask[:, 0]`` is used.
            lam (float | Tensor): The batch's lam, or a tensor [N].

        Returns:
            Tensor: A scalar.
        """
        mu = sample_mean(mask[:, 0])
        return (torch.as_tensor(lam, dtype=mu.dtype, device=mu.device) - mu).abs().sub(self.lam_margin).clamp_min(
            0).mean()

    def mask_loss(self, mask: torch.Tensor, lam: Union[float, torch.Tensor]) -> torch.Tensor:
        """Mask loss of AutoMix: ``L_lam = w * max(|lam - mu| - eps, 0)``.

        ``mu`` is the mean of ``s`` over each sample's pixels; the hinge is taken per sample, then averaged over the
        batch (with one lam per batch and unadjusted masks, a batch-wide ``mu`` would let over- and under-mixed
        samples cancel). ``w`` is read from ``self.mask_loss_weight`` at every call.

        Args:
            mask (Tensor): The raw mask pair [N, 2, H, W] (``raw_mask`` of :meth:`forward`).
            lam (float | Tensor): The lam the mask was made for (float, or a tensor [N]).

        Returns:
            Tensor: A scalar.
        """
        return self.mask_loss_weight * self.lam_loss(mask, lam)


@MODELS.register_module()
class MixBlock(BaseMixBlock):
    """Mix Block of AutoMix: learns a pixel mask pair from momentum-encoder features (AutoMix Eq. 5-7; docs/automix.md,
    Method reference).

    - lam embedding: a constant channel lam on ``z_i`` and ``1 - lam`` on ``z_j = z[index]`` (C + 1 channels);
      ``lam_concat=False`` drops it (the authors' CIFAR configs: "no lam cat for small datasets"; lam then reaches
      the mask only through the mask loss);
    - query/key: one shared 1x1 conv ``W_P`` (C + 1 -> C/r) on each side,
      ``P = softmax_row((W_P a_i)^T (W_P a_j) / sqrt(C/r))``, [N, hw, hw];
    - value: a 1x1 conv ``W_Z`` (C + 1 -> 1) on the embedded ``a_i``;
    - ``s = sigmoid(upsample(P @ W_Z a_i))`` at the image size (nearest by default);
    - mask loss ``w * max(|lam - mean(s)| - eps, 0)`` (:meth:`mask_loss`).

    Note: the constant ``1 - lam`` channel of ``z_j`` (like the bias of ``W_P`` on the key side) adds the same amount
    to every logit of a row of ``P`` and cancels in the row softmax; lam reaches the mask through the query and the
    value, which both see ``z_i``'s lam channel. It is kept because the formula has it.

    The block is tiny next to the backbone: two 1x1 convs, ``(C + 1) * (C/r + 1) + C/r + 1`` parameters, i.e.
    33,282 for C = 256, r = 2 (ResNet-18 has 11.2M), plus one hw x hw attention.

    Args:
        in_channels (int): Channels C of the features (stage 3 of a ResNet-18: 256).
        reduction (int): Query/key channels are ``C // reduction``. Defaults to 2.
        upsample (str): ``'nearest'`` (AutoMix) or ``'bilinear'``. Defaults to ``'nearest'``.
        lam_margin (float): ``eps`` of the mask loss. Defaults to 0.1.
        mask_loss_weight (float): ``w`` of the mask loss at the start of training (MomentumPipelineHook decays it
            to its ``end_mask_loss_weight``, 0 by default). Defaults to 0.1.
        lam_concat (bool): Append the lam channels (AutoMix Sec. 3.1). Defaults to True.
        attention_temperature (float): See :class:`BaseMixBlock`. Defaults to 1.0 (the paper).
        value_source (str): See :class:`BaseMixBlock`. Defaults to ``'j'`` (the authors' code: on the pattern task
            of docs/automix.md the cross attention learns content-aware masks with it and stays flat with ``'i'``).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, in_channels: int, reduction: int = 2, upsample: str = 'nearest', lam_margin: float = 0.1,
                 mask_loss_weight: float = 0.1, lam_concat: bool = True, attention_temperature: float = 1.0,
                 value_source: str = 'j', init_cfg: Optional[dict] = None):
        super().__init__(in_channels, reduction, upsample, lam_margin, mask_loss_weight,
                         attention_temperature=attention_temperature, value_source=value_source, init_cfg=init_cfg)
        self.lam_concat = lam_concat
        channels = in_channels + 1 if lam_concat else in_channels
        self.query_key = nn.Conv2d(channels, self.inter_channels, kernel_size=1)  # W_P
        self.value = nn.Conv2d(channels, 1, kernel_size=1)  # W_Z

    def _embed_lam(self, z_i, z_j, lam):
        return append_lam_channel(z_i, z_j, lam) if self.lam_concat else (z_i, z_j)

    def _project(self, a_i, a_j):
        return self.query_key(a_i), self.query_key(a_j)

    def _content(self, a_i):
        return self.value(a_i)
