"""AMix's Mix Block+ (AMix Eq. 5 and Sec. 3.2; docs/automix.md, Method reference): AutoMix's Mix Block with every
AMix change switchable.

Each option is one constructor argument, so every row of the AMix Table 8 ablation is a config; all on (the defaults)
is the paper's block, all off (``lam_encoding='concat'``, ``upsample='nearest'``, the four switches False) is exactly
AutoMix's :class:`MixBlock`.
"""
from typing import Dict, Optional, Union

import torch
import torch.nn as nn

from openmixosr.registry import MODELS
from .mix_block import BaseMixBlock, OutSize, append_lam_channel, sample_mean

LAM_ENCODINGS = ('adaptive', 'fixed', 'concat')


def adjust_to_lam(s: torch.Tensor, lam: float, eps: float = 1e-8) -> torch.Tensor:
    """Rescale each sample's mask so that its mean is exactly lam (AMix's lam adjusting).

    With ``mu`` the mean of ``s`` over each sample's pixels:
    ``mu > lam``: ``s <- s * lam / mu``; ``mu < lam``: ``(1 - s) <- (1 - s) * (1 - lam) / (1 - mu)``; otherwise
    ``s`` is kept. Both factors are <= 1, so values stay in [0, 1], and the new mean is lam up to float rounding.
    (AMix Sec. 3.2, unnumbered, prints the first factor upside down; the rescale toward lam is what is meant, see
    docs/automix.md, "Where we differ from the paper".)
    Differentiable, ``mu`` included. ``eps`` guards the divisions (``mu > lam >= 0`` and ``mu < lam <= 1`` already
    keep them away from 0; the guard stops the branch that ``torch.where`` discards from producing inf/NaN gradients).

    Args:
        s (Tensor): Mask ``s`` in [0, 1], [N, 1, H, W].
        lam (float): Target mean.
        eps (float): Smallest denominator. Defaults to 1e-8.

    Returns:
        Tensor: The adjusted ``s``, same shape.
    """
    mu = sample_mean(s).view(-1, *([1] * (s.dim() - 1)))
    shrunk = s * (lam / mu.clamp_min(eps))
    grown = 1 - (1 - s) * ((1 - lam) / (1 - mu).clamp_min(eps))
    return torch.where(mu > lam, shrunk, torch.where(mu < lam, grown, s))


@MODELS.register_module()
class MixBlockPlus(BaseMixBlock):
    """Mix Block+ of AMix (AMix Eq. 5 and Sec. 3.2), on top of AutoMix's Mix Block (AutoMix Eq. 5-7).

    Formulas and deviations: docs/automix.md, Method reference.

    - lam encoding (``lam_encoding``):
      ``'adaptive'``: ``a_i = (1 + g * lam) z_i``, ``a_j = (1 + g * (1 - lam)) z_j`` with ``g`` (``self.gamma``) a
      learnable scalar initialised to 0 (the paper). ``g`` is kept in [0, 1] by projection: at the start of every
      forward it is clamped into [0, 1] in place under ``no_grad``, so whatever the optimizer (or weight decay) did
      to it, the value used is in range and the stored value is put back in range (the clamp happens before the
      graph uses ``g``; the graph saves no copy of ``g`` itself, so masks made earlier in the same step still
      back-propagate);
      ``'fixed'``: the same with ``g = fixed_gamma`` constant (a buffer; the public AMix code fixes ``g = 1``);
      ``'concat'``: AutoMix's constant lam / 1 - lam channels.
    - non-linear value (``nonlinear_value``): ``W_Z`` = 1x1 conv (-> C/r, no bias) -> BN -> ReLU -> Dropout ->
      1x1 conv (-> 1) instead of one linear 1x1 conv. The Dropout (element-wise, ``value_dropout``) sits after the
      ReLU, on the hidden activations just before the last conv, as in the usual conv-BN-ReLU-Dropout-conv heads
      (the paper only says "with Dropout(0.1)").
    - global attention (``global_attention``): the shared ``W_P`` (2C -> C/r) is applied to
      ``concat(a_i, a_j)`` along channels and serves as both query and key, so ``P`` attends over the pair
      representation: ``P = softmax_row((W_P [a_i; a_j])^T (W_P [a_i; a_j]) / sqrt(C/r))``. Otherwise ``W_P``
      (C -> C/r) is applied to each side as in AutoMix. The value still comes from ``a_i``.
    - upsampling (``upsample``): bilinear (``align_corners=False``) by default.
    - lam adjusting (``lam_adjust``): the upsampled ``s`` is rescaled per sample so that its mean is exactly lam
      (:func:`adjust_to_lam`); ``raw_mask`` keeps the mask before it.
    - mask loss (``variance_loss``): ``w * (max(|lam - mu| - eps, 0) - var(s))``, rewarding sharp masks; without
      it, AutoMix's ``w * max(|lam - mu| - eps, 0)``.

    With the defaults the block has ``2C * C/r + C/r`` (W_P) ``+ C * C/r + 2 * C/r + C/r + 1`` (value: conv, BN,
    conv) ``+ 1`` (g) parameters: 98,818 for C = 256, r = 2, against 11.2M for ResNet-18.

    Args:
        in_channels (int): Channels C of the features.
        reduction (int): Query/key (and hidden value) channels are ``C // reduction``. Defaults to 2.
        upsample (str): ``'bilinear'`` (AMix) or ``'nearest'`` (AutoMix). Defaults to ``'bilinear'``.
        lam_margin (float): ``eps`` of the mask loss. Defaults to 0.1.
        mask_loss_weight (float): ``w`` of the mask loss at the start of training (MomentumPipelineHook decays it
            to its ``end_mask_loss_weight``, 0 by default). Defaults to 0.1.
        lam_encoding (str): ``'adaptive'``, ``'fixed'`` or ``'concat'`` (see above). Defaults to ``'adaptive'``.
        fixed_gamma (float, optional): ``g`` of ``lam_encoding='fixed'``, in [0, 1]; None means 1.0 (the public
            code). Only allowed with ``'fixed'``. Defaults to None.
        nonlinear_value (bool): Non-linear value branch. Defaults to True.
        global_attention (bool): Query/key from ``concat(a_i, a_j)``. Defaults to True.
        lam_adjust (bool): Rescale the mask to mean lam. Defaults to True.
        variance_loss (bool): Subtract ``var(s)`` in the mask loss. Defaults to True.
        value_dropout (float, optional): Dropout probability of the non-linear value; None means 0.1 (the paper).
            Only allowed with ``nonlinear_value=True``. Defaults to None.
        attention_temperature (float): See :class:`BaseMixBlock`. Defaults to 1.0 (the paper).
        value_source (str): See :class:`BaseMixBlock`. Defaults to ``'j'`` (the authors' code; AMix Eq. 5 prints
            ``C_NCL(z_i)``: with the global attention both learn alike on the pattern task, without it only ``'j'``
            does, and ``'j'`` keeps every switch off equal to :class:`MixBlock`).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, in_channels: int, reduction: int = 2, upsample: str = 'bilinear', lam_margin: float = 0.1,
                 mask_loss_weight: float = 0.1, lam_encoding: str = 'adaptive', fixed_gamma: Optional[float] = None,
                 nonlinear_value: bool = True, global_attention: bool = True, lam_adjust: bool = True,
                 variance_loss: bool = True, value_dropout: Optional[float] = None, attention_temperature: float = 1.0,
                 value_source: str = 'j', init_cfg: Optional[dict] = None):
        super().__init__(in_channels, reduction, upsample, lam_margin, mask_loss_weight,
                         attention_temperature=attention_temperature, value_source=value_source, init_cfg=init_cfg)
        if lam_encoding not in LAM_ENCODINGS:
            raise ValueError(f'lam_encoding must be one of {LAM_ENCODINGS}, got {lam_encoding!r}')
        if fixed_gamma is not None and lam_encoding != 'fixed':
            raise ValueError(f"fixed_gamma is only used by lam_encoding='fixed', not {lam_encoding!r}")
        if value_dropout is not None and not nonlinear_value:
            raise ValueError('value_dropout is only used by the non-linear value (nonlinear_value=True)')
        self.lam_encoding = lam_encoding
        self.nonlinear_value = nonlinear_value
        self.global_attention = global_attention
        self.lam_adjust = lam_adjust
        self.variance_loss = variance_loss

        if lam_encoding == 'adaptive':
            self.gamma = nn.Parameter(torch.zeros(()))
        elif lam_encoding == 'fixed':
            fixed_gamma = 1.0 if fixed_gamma is None else float(fixed_gamma)
            if not 0.0 <= fixed_gamma <= 1.0:
                raise ValueError(f'fixed_gamma must lie in [0, 1], got {fixed_gamma}')
            self.register_buffer('gamma', torch.tensor(fixed_gamma), persistent=False)
        else:
            self.gamma = None

        channels = in_channels + 1 if lam_encoding == 'concat' else in_channels
        qk_channels = 2 * channels if global_attention else channels
        self.query_key = nn.Conv2d(qk_channels, self.inter_channels, kernel_size=1)  # W_P
        if nonlinear_value:
            value_dropout = 0.1 if value_dropout is None else float(value_dropout)
            if not 0.0 <= value_dropout < 1.0:
                raise ValueError(f'value_dropout must lie in [0, 1), got {value_dropout}')
            self.value = nn.Sequential(  # W_Z
                nn.Conv2d(channels, self.inter_channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(self.inter_channels), nn.ReLU(inplace=True), nn.Dropout(value_dropout),
                nn.Conv2d(self.inter_channels, 1, kernel_size=1))
        else:
            self.value = nn.Conv2d(channels, 1, kernel_size=1)  # W_Z

    @torch.no_grad()
    def project_gamma(self) -> None:
        """Clamp the learnable ``g`` into [0, 1] in place (called at the start of every forward)."""
        self.gamma.clamp_(0.0, 1.0)

    def forward(self, feat: torch.Tensor, lam: float, index: torch.Tensor,
                out_size: OutSize) -> Dict[str, torch.Tensor]:
        """See :meth:`BaseMixBlock.forward`; with the adaptive encoding, ``g`` is first projected into [0, 1]."""
        if self.lam_encoding == 'adaptive':
            self.project_gamma()
        return super().forward(feat, lam, index, out_size)

    def _embed_lam(self, z_i, z_j, lam):
        if self.lam_encoding == 'concat':
            return append_lam_channel(z_i, z_j, lam)
        return (1 + self.gamma * lam) * z_i, (1 + self.gamma * (1 - lam)) * z_j

    def _project(self, a_i, a_j):
        if self.global_attention:
            pair = self.query_key(torch.cat([a_i, a_j], dim=1))
            return pair, pair
        return self.query_key(a_i), self.query_key(a_j)

    def _content(self, a_i):
        return self.value(a_i)

    def _adjust(self, s, lam):
        return adjust_to_lam(s, lam) if self.lam_adjust else s

    def mask_loss(self, mask: torch.Tensor, lam: Union[float, torch.Tensor]) -> torch.Tensor:
        """Mask loss of AMix: ``L_mask = w * (max(|lam - mu| - eps, 0) - var(s))``.

        Per sample: ``mu`` and ``var`` (population variance, i.e. divided by H*W) are taken over each sample's
        pixels, the hinge and the variance are then averaged over the batch. Without ``variance_loss`` this is
        AutoMix's ``w * max(|lam - mu| - eps, 0)``. ``w`` is read from ``self.mask_loss_weight`` at every call.

        Args:
            mask (Tensor): The raw mask pair [N, 2, H, W] (``raw_mask`` of :meth:`forward`: after the lam adjusting
                every mean is lam and the hinge would vanish).
            lam (float | Tensor): The lam the mask was made for (float, or a tensor [N]).

        Returns:
            Tensor: A scalar.
        """
        loss = self.lam_loss(mask, lam)
        if self.variance_loss:
            loss = loss - mask[:, 0].flatten(1).var(dim=1, unbiased=False).mean()
        return self.mask_loss_weight * loss
