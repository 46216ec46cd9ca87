"""Mixup with a learned mask: a Mix Block (AutoMix) or Mix Block+ (AMix) as a paired mixer any model can use.

AutoMix, AMix and MoCo v2 AMix draw their masks with it (fed by their momentum encoder), the asymmetric distiller
with learned masks too (fed by its teacher). Docs: docs/automix.md (the Mix Block's equations) and
docs/asymmetric_distillation.md ("Learned masks").
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from openmixosr.registry import MIXERS, MODELS
from openmixosr.utils.checkpoint_io import rename_old_keys
from ..utils.declared_inputs import call_with_declared_inputs
from ..utils.mask_draws import drawn_as_in_training, finite_masks
from ..utils.mask_statistics import mask_statistics
from ..utils.mixing import MixedBatch, mask_mix, random_pairing, sample_lam
from ..utils.step_passes import NetworkPasses
from ..utils.truncated_forward import forward_until
from .base import PairedMixer, check_alpha, check_images

#: Where a checkpoint of this toolkit keeps a Mix Block (AutoMix / AMix runs and distillers with a learned mixer
#: alike; older AutoMix checkpoints' ``mix_block.`` is renamed by :func:`rename_old_keys`), and where an AutoMix /
#: AMix run keeps the momentum encoder's backbone that fed it.
MIX_BLOCK_PREFIX = 'mixer.mix_block.'
ENCODER_PREFIX = 'momentum_encoder.module.0.'


FEATURE_NORMS = ('batch', 'none')


def standardise_per_channel(features: torch.Tensor) -> torch.Tensor:
    """``(z - mean_c) / sqrt(var_c + 1e-5)`` per channel ``c`` over the batch and the positions (a BatchNorm without
    parameters or running statistics)."""
    return F.batch_norm(features, None, None, training=True, eps=1e-5)


def sample_shares(mask: torch.Tensor) -> torch.Tensor:
    """Per-sample lam of a mask pair: the spatial mean of ``s = mask[:, 0]`` [N, 2, H, W] -> [N]."""
    return mask[:, 0].mean(dim=(1, 2))


@MIXERS.register_module()
class LearnedMaskMixer(PairedMixer):
    """Mix with the mask a Mix Block makes for a drawn ``(lam, j)``: ``x_m = s * x_i + (1 - s) * x_j``.

    One call (AutoMix Sec. 3.1 and Eq. 2; AMix Sec. 3.2 for the Mix Block+): ``lam ~ Beta(alpha, alpha)``, ``j`` a
    random permutation; the Mix Block turns the features ``z`` of a frozen network at its stage ``l`` into the mask
    pair ``(s, 1 - s)``; ``x_m = mask_mix(x, (s, 1 - s), j)``. The returned :class:`MixedBatch` carries the pairing, the
    mask and, as ``lam``, each sample's share ``mean(s_i)`` (a tensor [N]): the lam a mixed label must use, since
    the Mix Block makes masks whose mean is only close to the drawn lam.

    Two ways to get the Mix Block:

    - **trained** (``checkpoint=None``): the owner gives the features (``mixer(x, features=z)``, declared in
      :attr:`mixer_inputs`), runs its frozen network ``T`` on ``x_m`` *with* the graph (its parameters frozen) and
      adds :meth:`generation_losses` to its objective: ``objective(T(x_m), y, j, lam) + L_mask`` (AutoMix Eq. 8's
      generation loss through a frozen network), whose gradients reach the Mix Block only. Whatever else trains on
      the mix must use ``mixed.detached()`` (or a draw without a graph), so that its loss never reaches the Mix
      Block. The owners: AutoMix / AMix (``T`` = the momentum encoder, which also gives the features) and the
      distiller (``T`` = the teacher); MoCo v2 AMix brings its own objective (``objective=None``) and adds
      :meth:`mask_losses`;
    - **frozen** (``checkpoint=PATH``): the Mix Block's weights come from a checkpoint of this toolkit (an AutoMix /
      AMix run or a distiller with a learned mixer: ``mixer.mix_block.*``), strictly. With ``encoder`` (the backbone
      config of the AutoMix / AMix run), its momentum encoder's backbone is loaded too
      (``momentum_encoder.module.0.*``) and makes the features itself, so the mixer needs nothing but the images.
      Draws run as in training (train mode, batch statistics) and leave every weight and buffer unchanged.

    As a plain ``nn.Module`` in one's own loop (trained mode)::

        mixer = LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=256, reduction=2,
                                                upsample='nearest', lam_margin=0.1))
        with torch.no_grad():
            z = forward_until(frozen.backbone, x, 'layer3')
        mixed = mixer(x, features=z)
        losses = mixer.generation_losses(frozen(mixed.inputs), y, mixed)  # also holds mask statistics (logged)
        loss = losses['loss_generation'] + losses['loss_mask']  # trains the Mix Block
        loss = loss + my_mixup_loss(model(mixed.detached().inputs), y, mixed.index, mixed.lam)

    Args:
        mix_block (dict): ``MixBlock`` or ``MixBlockPlus`` config; ``in_channels`` = channels of the features.
        alpha (float): ``lam ~ Beta(alpha, alpha)``. Defaults to 2.0 (AutoMix, AMix).
        objective (dict, optional): Generation objective on the frozen network's logits of ``x_m``, a loss
            declaring ``mixup_inputs`` among ``logits, labels, index, lam``: ``MixupCrossEntropyLoss`` (AutoMix,
            default) or ``PairwiseMixupBCELoss`` (AMix's parametric BCE). Trained mode only (not built when frozen).
            None: the owner computes the objective itself (MoCo v2 AMix's named terms) and adds :meth:`mask_losses`.
        checkpoint (str, optional): Freeze the Mix Block with the weights of this checkpoint.
        encoder (dict, optional): With ``checkpoint``: the backbone config of the AutoMix / AMix run, whose momentum
            encoder's backbone makes the features (the Mix Block was trained on them).
        mix_layer (str): The stage that feeds the Mix Block: of ``encoder`` when there is one, otherwise of the
            owner's network (the distiller takes its teacher's, AutoMix its momentum encoder's). Defaults to
            ``'layer3'``.
        feature_norm (str): What is done to features given by the owner before the Mix Block: ``'batch'``
            (default) standardises each channel over the batch and positions (:func:`standardise_per_channel`),
            ``'none'`` leaves them (AutoMix, AMix and MoCo v2 AMix: their configs set it). Ours, not AutoMix's:
            AutoMix feeds its Mix Block with a momentum encoder in train mode, trained with it, whereas a frozen
            teacher in eval mode gives features of any scale (a trained quarter-width ResNet-50 on the digits: mean
            |z| ~ 50 at stage 3, which saturates a fresh Mix Block's sigmoid at s = 1 and leaves it no gradient).
            Features of the mixer's own ``encoder`` are left as they are (the AutoMix run's Mix Block was trained on
            them raw).
    """

    def __init__(self,
                 mix_block: dict,
                 alpha: float = 2.0,
                 objective: Optional[dict] = dict(type='MixupCrossEntropyLoss'),
                 checkpoint: Optional[str] = None,
                 encoder: Optional[dict] = None,
                 mix_layer: str = 'layer3',
                 feature_norm: str = 'batch'):
        super().__init__()
        if feature_norm not in FEATURE_NORMS:
            raise ValueError(f'feature_norm must be one of {FEATURE_NORMS}, got {feature_norm!r}')
        self.feature_norm = feature_norm
        if encoder is not None and checkpoint is None:
            raise ValueError('LearnedMaskMixer: `encoder` is the momentum encoder of an AutoMix / AMix checkpoint and '
                             'needs `checkpoint`; a trained mixer takes its features from its owner.')
        self.alpha = check_alpha(alpha)
        self.mix_block = MODELS.build(mix_block)
        self.objective = MODELS.build(objective) if checkpoint is None and objective is not None else None
        self.checkpoint = checkpoint
        self.encoder = MODELS.build(encoder) if encoder is not None else None
        self.mix_layer = mix_layer
        if checkpoint is not None:
            self._load_frozen(checkpoint)

    @property
    def trainable(self) -> bool:
        """Whether the Mix Block is trained here (no checkpoint) and its draws carry a graph."""
        return self.checkpoint is None

    @property
    def mixer_inputs(self) -> Tuple[str, ...]:
        """``('features',)`` unless the mixer has its own encoder."""
        return () if self.encoder is not None else ('features', )

    def _load_frozen(self, checkpoint: str) -> None:
        """Load the Mix Block (and ``encoder``) of an AutoMix / AMix run or of a distiller with a learned mixer with
        the one checked loader (strict), and freeze them."""
        from openmixosr.engine.checkpoint_loading import load_checked_checkpoint  # the engine imports models

        def check_parts(loaded: dict) -> None:
            keys = rename_old_keys(loaded.get('state_dict', loaded) if isinstance(loaded, dict) else {})
            if not any(key.startswith(MIX_BLOCK_PREFIX) for key in keys):
                raise KeyError(f'Checkpoint {checkpoint} holds no Mix Block (no key starts with {MIX_BLOCK_PREFIX!r})'
                               f': pass the checkpoint of an AutoMix / AMix run or of a distiller with a learned '
                               f'mixer.')
            has_encoder = any(key.startswith(ENCODER_PREFIX) for key in keys)
            if has_encoder and self.encoder is None:
                raise ValueError(f'Checkpoint {checkpoint} is an AutoMix / AMix run: its Mix Block was trained on the '
                                 f'features of its own momentum encoder. Pass that run\'s backbone config as `encoder` '
                                 f'(e.g. configs/asym/r18_digits_automix_frozen_mask.py), so the masks are the run\'s.')
            if not has_encoder and self.encoder is not None:
                raise KeyError(f'Checkpoint {checkpoint} has no momentum encoder ({ENCODER_PREFIX}*): `encoder` '
                               f'needs an AutoMix / AMix checkpoint; drop it for a distiller checkpoint.')

        parts = {'mix_block.': MIX_BLOCK_PREFIX}
        if self.encoder is not None:
            parts['encoder.'] = ENCODER_PREFIX
        load_checked_checkpoint(self, checkpoint, check_classes=lambda dataset_meta: None, prefix=parts,
                                after_read=check_parts,
                                mismatch_advice='Use the mix_block (and encoder) config of the run that wrote the '
                                                'checkpoint (same type, in_channels, options).')
        self.requires_grad_(False)

    def step_passes(self, draws_with_graph: int, draws_without_graph: int) -> Dict[str, NetworkPasses]:
        """The Mix Block's passes (a draw with a graph is back-propagated once), and those of the mixer's own
        encoder, whose stages up to ``mix_layer`` run once per draw of a frozen mixer."""
        passes = dict(mix_block=NetworkPasses(forwards=draws_with_graph, backwards=draws_with_graph,
                                              forwards_no_graph=draws_without_graph))
        if self.encoder is not None:
            passes['mixer_encoder'] = NetworkPasses(partial_forwards_no_graph=draws_without_graph)
        return passes

    def init_weights(self) -> None:
        """Initialise a trained Mix Block (its ``init_cfg``); a frozen one keeps its checkpoint's weights."""
        if self.trainable and hasattr(self.mix_block, 'init_weights'):
            self.mix_block.init_weights()

    def forward(self, inputs: torch.Tensor, features: Optional[torch.Tensor] = None) -> MixedBatch:
        """Draw ``(lam, j)`` and mix ``inputs`` with the Mix Block's mask for it.

        Args:
            inputs (Tensor): Images [N, C, H, W] (left unchanged).
            features (Tensor, optional): The frozen network's features at the mixing stage [N, C', h, w]; required
                unless the mixer has its own ``encoder``.

        Returns:
            MixedBatch: ``lam`` is the per-sample share ``mean(s_i)`` [N]; ``generation`` is set in trained mode.
        """
        check_images(inputs)
        return self.mix(inputs, *self.draw_pairing(inputs), features)

    def draw_twice(self, inputs: torch.Tensor,
                   features: Optional[torch.Tensor] = None) -> Tuple[MixedBatch, MixedBatch]:
        """AutoMix's two draws (Sec. 3.2): both ``(lam, j)`` first, in the order ``lam_1, j_1, lam_2, j_2``, then
        their masks; the second without a graph. The Mix Block may draw random numbers itself (Mix Block+'s dropout),
        so drawing both pairings before any mask is what keeps an AutoMix / AMix step's random sequence."""
        check_images(inputs)
        pairings = [self.draw_pairing(inputs) for _ in range(2)]
        first = self.mix(inputs, *pairings[0], features)
        with torch.no_grad():
            second = self.mix(inputs, *pairings[1], features)
        return first, second

    def draw_pairing(self, inputs: torch.Tensor) -> Tuple[float, torch.Tensor]:
        """``lam ~ Beta(alpha, alpha)`` (numpy's generator), then ``j = perm(N)`` (torch's), for ``inputs``."""
        return sample_lam(self.alpha), random_pairing(inputs.size(0), inputs.device)

    def mix(self, inputs: torch.Tensor, lam: float, index: torch.Tensor,
            features: Optional[torch.Tensor] = None) -> MixedBatch:
        """Mix ``inputs`` with the Mix Block's mask for a given ``(lam, j)``: with its graph when trained (the Mix
        Block in the mode its owner set, a non-finite mask raising ``FloatingPointError``), drawn as in training and
        without a graph when frozen (:meth:`masks_for`).

        Args:
            inputs (Tensor): Images [N, C, H, W].
            lam (float): The lam asked of the Mix Block.
            index (LongTensor): Pairing [N].
            features (Tensor, optional): See :meth:`forward`.

        Returns:
            MixedBatch: See :meth:`forward`.
        """
        if self.trainable:
            self._check_features(features)
            output = finite_masks(self.mix_block, self._given(features.detach()), lam, index, inputs.shape[-2:])
            generation = dict(drawn_lam=lam, raw_mask=output['raw_mask'])
        else:
            output, generation = self.masks_for(inputs, lam, index, features), None
        mask = output['mask']
        return MixedBatch(mask_mix(inputs, mask, index), index, sample_shares(mask), mask, generation)

    @torch.no_grad()
    def masks_for(self, inputs: torch.Tensor, lam: float, index: torch.Tensor,
                  features: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """The Mix Block's output for a chosen ``lam`` and pairing, drawn as in training, without a graph.

        The Mix Block (and the encoder) run in train mode, as when the block was trained; every submodule's mode and
        buffer is put back afterwards, so a call leaves the mixer unchanged (frozen draws, viewers).

        Args:
            inputs (Tensor): Images [N, C, H, W].
            lam (float): Mixing ratio.
            index (LongTensor): Pairing [N].
            features (Tensor, optional): The frozen network's features at the mixing stage [N, C', h, w]; required
                unless the mixer has its own ``encoder``.

        Returns:
            dict: The Mix Block's output: ``mask`` [N, 2, H, W] (``s``, ``1 - s``), ``raw_mask``, ...
        """
        modules = (self.mix_block, ) if self.encoder is None else (self.mix_block, self.encoder)
        with drawn_as_in_training(*modules):
            if self.encoder is not None:
                features = forward_until(self.encoder, inputs, self.mix_layer)
            else:
                self._check_features(features)
                features = self._given(features)
            return self.mix_block(features, lam, index, inputs.shape[-2:])

    def _given(self, features: torch.Tensor) -> torch.Tensor:
        """Features given by the owner, as the Mix Block takes them (``feature_norm``)."""
        return standardise_per_channel(features) if self.feature_norm == 'batch' else features

    def _check_features(self, features) -> None:
        if features is None:
            raise ValueError('LearnedMaskMixer needs `features` (the frozen network\'s stage output on the clean '
                             'batch) unless it has its own `encoder`.')

    def generation_losses(self, logits: torch.Tensor, labels: torch.Tensor,
                          mixed: MixedBatch) -> Dict[str, torch.Tensor]:
        """The Mix Block's objective on the frozen network's logits of ``mixed.inputs`` (with its graph).

        ``loss_generation = objective(logits, y, j, lam_drawn)``, then :meth:`mask_losses`: AutoMix's generation
        loss through its momentum encoder (AutoMix Eq. 8), here through whichever frozen network the owner runs.

        Args:
            logits (Tensor): ``T(x_m)`` [N, K], computed with the graph into ``mixed.inputs``.
            labels (LongTensor): ``y`` [N].
            mixed (MixedBatch): This mixer's output in trained mode.

        Returns:
            dict: ``loss_generation``, ``loss_mask``, ``mask_std``, ``mask_lam_gap``, ``mask_mixed_fraction``.
        """
        if self.objective is None:
            raise ValueError('This LearnedMaskMixer has no objective (objective=None: its owner computes the Mix '
                             'Block objective and adds mask_losses).')
        self._check_generated(mixed)
        available = dict(logits=logits, labels=labels, index=mixed.index, lam=mixed.generation['drawn_lam'])
        return dict(loss_generation=call_with_declared_inputs(self.objective, available), **self.mask_losses(mixed))

    def mask_losses(self, mixed: MixedBatch) -> Dict[str, torch.Tensor]:
        """``loss_mask = L_mask(raw mask, lam_drawn)`` (AutoMix Eq. 7, with the Mix Block's current
        ``mask_loss_weight``) and the mask statistics of the draw (logged, not losses: a flat mask shows in the log).

        Args:
            mixed (MixedBatch): This mixer's output in trained mode.

        Returns:
            dict: ``loss_mask``, ``mask_std``, ``mask_lam_gap``, ``mask_mixed_fraction``.
        """
        self._check_generated(mixed)
        lam = mixed.generation['drawn_lam']
        return dict(loss_mask=self.mix_block.mask_loss(mixed.generation['raw_mask'], lam),
                    **mask_statistics(mixed.mask.detach(), lam))

    @staticmethod
    def _check_generated(mixed: MixedBatch) -> None:
        if mixed.generation is None:
            raise ValueError('The Mix Block objective needs a mix drawn in trained mode (a frozen mixer has no '
                             'objective; a detached mix has no graph).')

    def extra_repr(self) -> str:
        state = 'trained' if self.trainable else f'frozen from {self.checkpoint}'
        return f'alpha={self.alpha}, {state}'
