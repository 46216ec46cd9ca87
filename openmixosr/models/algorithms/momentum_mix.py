"""The contract of a model with a momentum encoder ``k`` whose paired mixer is fed by ``k``'s features (AutoMix's
Momentum Pipeline), written once.

Hooks (:class:`~openmixosr.engine.hooks.MomentumPipelineHook`, ...) and tools (``tools/analysis/visualize_mix.py``)
use only the public members listed in :class:`MomentumMixMixin`.
"""
from typing import Dict, NamedTuple, Optional, Tuple, Union

import torch
from torch import nn

from ..paired_mixers import LearnedMaskMixer, PairedMixer, build_paired_mixer
from ..utils.mask_draws import drawn_as_in_training, momentum_features
from ..utils.mixing import MixedBatch
from ..utils.momentum_encoder import MomentumEncoder
from ..utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses

#: What a model with a momentum encoder offers its mixer besides the images (``PairedMixer.mixer_inputs``).
MOMENTUM_MIXER_INPUTS = ('features', )


def build_momentum_mixer(cfg: dict, owner: str) -> PairedMixer:
    """Build the paired mixer of a momentum model and check that the model can feed it.

    Args:
        cfg (dict): Mixer config, e.g. ``dict(type='LearnedMaskMixer', mix_block=..., feature_norm='none')``.
        owner (str): Class name for the error message.

    Returns:
        PairedMixer: The mixer.

    Raises:
        ValueError: The mixer asks for inputs other than ``features``, or for ``features`` without a ``mix_layer``.
    """
    mixer = build_paired_mixer(cfg)
    unknown = [name for name in mixer.mixer_inputs if name not in MOMENTUM_MIXER_INPUTS]
    if unknown:
        raise ValueError(f'{owner}: the mixer {type(mixer).__name__} needs {unknown}; a model with a momentum '
                         f'encoder offers {list(MOMENTUM_MIXER_INPUTS)} (its stage `mixer.mix_layer` on the batch).')
    if 'features' in mixer.mixer_inputs and not isinstance(getattr(mixer, 'mix_layer', None), str):
        raise ValueError(f'{owner}: the mixer {type(mixer).__name__} takes `features` but names no `mix_layer` '
                         f'(the backbone stage of the momentum encoder that makes them).')
    return mixer


class MomentumDraws(NamedTuple):
    """The mixes of one training step of a momentum model (AutoMix Sec. 3.2).

    Attributes:
        generated (MixedBatch, optional): The draw ``(lam_mb, j_mb)`` of a trained mixer, with its graph: the
            generation loss runs ``k`` on it. None when the mixer trains nothing.
        classified (MixedBatch): The draw ``(lam_bb, j_bb)`` that ``q`` learns from, without a graph.
        lam (float | Tensor): The lam of ``q``'s mixup loss on ``classified``: with a trained Mix Block the lam it
            was asked for (AutoMix Eq. 8), otherwise the mixer's own ``classified.lam``.
    """
    generated: Optional[MixedBatch]
    classified: MixedBatch
    lam: Union[float, torch.Tensor]


class MomentumMixMixin:
    """A model with a momentum encoder ``k`` of its online network ``q`` and a paired mixer fed by ``k``'s features.

    Mix it in before the model's base class (``class AutoMix(MomentumMixMixin, ..., BaseModel)``). The model sets,
    in its constructor, the attributes below and defines :meth:`online_network`; the mixin gives the rest.

    Attributes set by the model:

    - ``momentum_encoder`` (:class:`MomentumEncoder`): ``k``, a copy of ``online_network()``; ``k``'s first part is
      the backbone whose stage ``mixer.mix_layer`` feeds a mixer that takes ``features``;
    - ``mixer`` (:class:`~openmixosr.models.paired_mixers.PairedMixer`, from :func:`build_momentum_mixer`): a
      ``LearnedMaskMixer`` (AutoMix, AMix: ``feature_norm='none'``, ``k``'s raw features) whose Mix Block is
      trained through ``k``, or any other paired mixer, which then mixes ``q``'s batch and trains nothing;
    - ``mix_feature_stats`` (str): BatchNorm statistics of ``k`` when it makes the mixer's features
      (:func:`~openmixosr.models.utils.mask_draws.momentum_features`); ``'batch'`` unless the model sets it.

    ``required_hooks`` names the hook types a training run of the model must register (checked at the start of
    training by :func:`~openmixosr.engine.start_checks.check_required_hooks`): ``MomentumPipelineHook`` (the EMA
    update of ``k``) and, with a trained mixer, ``MaskLossScheduleHook`` (its mask-loss weight). The momentum update
    is also checked at every training step: :meth:`training_draws` raises when ``k`` was not updated since the
    previous step of this process (the first step of a process, e.g. after a resume, is not checked).
    """

    mix_feature_stats: str = 'batch'
    momentum_encoder: MomentumEncoder
    mixer: PairedMixer
    #: Full forwards of ``k`` without a graph in a step besides the mixer's features (MoCo's keys: 1).
    momentum_forwards_no_graph: int = 0
    #: ``k``'s update count at the previous training step of this process (None before the first one).
    _momentum_steps_at_last_step: Optional[int] = None

    @property
    def required_hooks(self) -> Tuple[str, ...]:
        """``MomentumPipelineHook``, and ``MaskLossScheduleHook`` when the mixer's Mix Block is trained."""
        return ('MomentumPipelineHook', ) + (('MaskLossScheduleHook', ) if self.mixer.trainable else ())

    def online_network(self) -> nn.Sequential:
        """``q`` as one module, with the structure of ``momentum_encoder.module``."""
        raise NotImplementedError

    @property
    def mixer_takes_features(self) -> bool:
        """Whether the mixer takes ``k``'s features at its ``mix_layer`` (a learned mixer without encoder)."""
        return 'features' in self.mixer.mixer_inputs

    def step_passes(self) -> Dict[str, StepPasses]:
        """The passes of one training step, read by ``tools/benchmark`` (one source for the pass counts).

        ``q``: two forwards and two backwards (the clean / query view and the mixed batch); ``k``: its stages up to
        ``mix_layer`` without a graph (when the mixer takes features), ``momentum_forwards_no_graph`` full forwards
        without a graph and, with a trained mixer, one forward whose backward reaches only its input (the generation
        loss); the mixer's own (``PairedMixer.step_passes``): a Mix Block runs once with a graph (``s_mb``, trained
        only) and once without (``s_bb``), a hand-made mixer only copies pixels; one optimizer step and one EMA
        update.
        """
        trains = int(self.mixer.trainable)
        networks = dict(online=NetworkPasses(forwards=2, backwards=2),
                        momentum=NetworkPasses(partial_forwards_no_graph=int(self.mixer_takes_features),
                                               forwards_no_graph=self.momentum_forwards_no_graph, forwards=trains,
                                               input_backwards=trains))
        networks.update(self.mixer.step_passes(draws_with_graph=trains, draws_without_graph=1))
        return {SINGLE_STEP: StepPasses(networks=networks, momentum_updates=1)}

    def init_weights(self) -> None:
        """Initialise ``q`` and the mixer, then start ``k`` as an exact copy of ``q``."""
        super().init_weights()
        self.momentum_encoder.copy_from(self.online_network())

    @torch.no_grad()
    def momentum_update(self, momentum: float) -> None:
        """``theta_k <- m * theta_k + (1 - m) * theta_q`` (called by MomentumPipelineHook after each step)."""
        self.momentum_encoder.update_parameters(self.online_network(), momentum)

    @torch.no_grad()
    def mix_features(self, images: torch.Tensor) -> torch.Tensor:
        """``k``'s backbone up to ``mixer.mix_layer`` on ``images``, without a graph: the mixer's ``features``."""
        return momentum_features(self.momentum_encoder.module[0], images, self.mixer.mix_layer,
                                 self.mix_feature_stats)

    def masks_for(self, images: torch.Tensor, lam: float, index: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The learned mixer's output for a chosen lam and pairing, made as a training step makes it (``k`` and the
        Mix Block in train mode), leaving the model's modes and buffers as they were (for viewers).

        Args:
            images (Tensor): Normalised images [N, C, H, W].
            lam (float): Mixing ratio.
            index (LongTensor): Pairing [N].

        Returns:
            dict: ``mask``, ``raw_mask``, ``attention`` (see the Mix Block's ``forward``).

        Raises:
            TypeError: The mixer is not a ``LearnedMaskMixer`` (CutMix and MixUp have no masks to draw).
        """
        if not isinstance(self.mixer, LearnedMaskMixer):
            raise TypeError(f'{type(self.mixer).__name__} is not a LearnedMaskMixer: only a learned mixer draws '
                            f'masks for a chosen lam.')
        features = None
        if self.mixer_takes_features:
            with drawn_as_in_training(self.momentum_encoder.module[0]):
                features = self.mix_features(images)
        return self.mixer.masks_for(images, lam, index, features=features)

    def training_draws(self, images: torch.Tensor) -> MomentumDraws:
        """The mixes of a training step on ``images`` (AutoMix Sec. 3.2; docs/automix.md, Method reference).

        ``k``'s features (when the mixer takes them) are computed once; a trained mixer draws twice
        (``PairedMixer.draw_twice``): ``(lam_mb, j_mb)`` with its graph and ``(lam_bb, j_bb)`` without one, a
        ``LearnedMaskMixer`` in the order ``lam_mb, j_mb, lam_bb, j_bb`` before its masks; a mixer that trains
        nothing draws once, without a graph. In train mode, first checks that ``k`` was updated since the previous
        training step.

        Returns:
            MomentumDraws: ``generated``, ``classified`` and the lam of ``q``'s mixup loss.

        Raises:
            RuntimeError: When ``k``'s update count did not change since the previous training step of this process,
                i.e. nothing called :meth:`momentum_update` (no ``MomentumPipelineHook``).
            FloatingPointError: The Mix Block made a NaN/Inf mask (the message names the training iteration).
        """
        steps = int(self.momentum_encoder.steps)
        if self.training:
            if steps == self._momentum_steps_at_last_step:
                raise RuntimeError(
                    f'{type(self).__name__}: the momentum encoder was not updated since the previous training step '
                    f'(update count still {steps}): MomentumPipelineHook is missing. Add '
                    f"`default_hooks.momentum_pipeline=dict(type='MomentumPipelineHook')` to the config, or call "
                    f'model.momentum_update(m) after every train_step.')
            self._momentum_steps_at_last_step = steps
        mixer_inputs = dict(features=self.mix_features(images)) if self.mixer_takes_features else {}
        try:
            if self.mixer.trainable:
                generated, classified = self.mixer.draw_twice(images, **mixer_inputs)
            else:
                with torch.no_grad():
                    generated, classified = None, self.mixer(images, **mixer_inputs)
        except FloatingPointError as error:
            raise FloatingPointError(f'At training iteration {steps + 1}: {error}') from error
        lam = classified.lam if classified.generation is None else classified.generation['drawn_lam']
        return MomentumDraws(generated, classified.detached(), lam)
