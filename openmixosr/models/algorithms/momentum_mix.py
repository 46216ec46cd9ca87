"""The contract of a model with a momentum encoder ``k`` and a Mix Block (AutoMix's Momentum Pipeline), written once.

Hooks (:class:`~openmixosr.engine.hooks.MomentumPipelineHook`, ...) and tools (``tools/analysis/visualize_mix.py``)
use only the public members listed in :class:`MomentumMixMixin`.
"""
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..utils.mask_draws import draw_mask_pair, masks_as_in_training, momentum_features
from ..utils.momentum_encoder import MomentumEncoder
from ..utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses


class MomentumMixMixin:
    """A model with a momentum encoder ``k`` of its online network ``q`` and a Mix Block fed by ``k``'s features.

    Mix it in before the model's base class (``class AutoMix(MomentumMixMixin, ..., BaseModel)``). The model sets,
    in its constructor, the attributes below and defines :meth:`online_network`; the mixin gives the rest.

    Attributes set by the model:

    - ``momentum_encoder`` (:class:`MomentumEncoder`): ``k``, a copy of ``online_network()``; ``k``'s first part is
      the backbone whose stage ``mix_layer`` feeds the Mix Block;
    - ``mix_block`` (``MixBlock`` / ``MixBlockPlus``): its ``initial_mask_loss_weight`` is the start of the schedule
      that :class:`~openmixosr.engine.hooks.MomentumPipelineHook` applies to its ``mask_loss_weight``;
    - ``mix_layer`` (str): the backbone submodule whose output feeds the Mix Block;
    - ``alpha`` (float): ``lam ~ Beta(alpha, alpha)``;
    - ``mix_feature_stats`` (str): BatchNorm statistics of ``k`` when it makes the Mix Block's features
      (:func:`~openmixosr.models.utils.mask_draws.momentum_features`); ``'batch'`` unless the model sets it.

    ``required_hooks`` names the hook types a training run of the model must register (checked at the start of
    training by :func:`~openmixosr.engine.start_checks.check_required_hooks`). The momentum update is also checked
    at every training step: :meth:`training_draws` raises when ``k`` was not updated since the previous step of
    this process (the first step of a process, e.g. after a resume, is not checked).
    """

    required_hooks: Tuple[str, ...] = ('MomentumPipelineHook', )
    mix_feature_stats: str = 'batch'
    momentum_encoder: MomentumEncoder
    mix_block: nn.Module
    mix_layer: str
    alpha: float
    #: Full forwards of ``k`` without a graph in a step besides the Mix Block's features (MoCo's keys: 1).
    momentum_forwards_no_graph: int = 0
    #: ``k``'s update count at the previous training step of this process (None before the first one).
    _momentum_steps_at_last_step: Optional[int] = None

    def online_network(self) -> nn.Sequential:
        """``q`` as one module, with the structure of ``momentum_encoder.module``."""
        raise NotImplementedError

    def step_passes(self) -> Dict[str, StepPasses]:
        """The passes of one training step, read by ``tools/benchmark`` (one source for the pass counts).

        ``q``: two forwards and two backwards (the clean / query view and the mixed batch); ``k``: its stages up to
        ``mix_layer`` without a graph, ``momentum_forwards_no_graph`` full forwards without a graph, and one forward
        whose backward reaches only its input (the generation loss); the Mix Block: one forward with a graph (``s_mb``)
        and one without (``s_bb``); one optimizer step and one EMA update.
        """
        return {SINGLE_STEP: StepPasses(
            networks=dict(online=NetworkPasses(forwards=2, backwards=2),
                          momentum=NetworkPasses(partial_forwards_no_graph=1,
                                                 forwards_no_graph=self.momentum_forwards_no_graph, forwards=1,
                                                 input_backwards=1),
                          mix_block=NetworkPasses(forwards=1, forwards_no_graph=1, backwards=1)),
            momentum_updates=1)}

    def init_weights(self) -> None:
        """Initialise ``q`` and the Mix Block, then start ``k`` as an exact copy of ``q``."""
        super().init_weights()
        self.momentum_encoder.copy_from(self.online_network())

    @torch.no_grad()
    def momentum_update(self, momentum: float) -> None:
        """``theta_k <- m * theta_k + (1 - m) * theta_q`` (called by MomentumPipelineHook after each step)."""
        self.momentum_encoder.update_parameters(self.online_network(), momentum)

    @torch.no_grad()
    def mix_features(self, images: torch.Tensor) -> torch.Tensor:
        """``k``'s backbone up to ``mix_layer`` on ``images``, without a graph: the Mix Block's input ``z``."""
        return momentum_features(self.momentum_encoder.module[0], images, self.mix_layer, self.mix_feature_stats)

    def draw_masks(self, images: torch.Tensor) -> Dict:
        """The two mask draws of a training step on ``images`` (AutoMix Sec. 3.2; docs/automix.md).

        Returns:
            dict: See :func:`~openmixosr.models.utils.mask_draws.draw_mask_pair`: ``lam_mb``, ``index_mb``,
            ``generated`` (the Mix Block's output, with its graph), ``lam_bb``, ``index_bb``, ``mask_bb`` (detached).
        """
        return draw_mask_pair(self.mix_block, self.mix_features(images), self.alpha, images.shape[-2:],
                              int(self.momentum_encoder.steps) + 1)

    def masks_for(self, images: torch.Tensor, lam: float, index: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The Mix Block's output for a chosen lam and pairing, made as a training step makes it (``k`` and the Mix
        Block in train mode), leaving the model's modes and buffers as they were (for viewers and frozen use).

        Args:
            images (Tensor): Normalised images [N, C, H, W].
            lam (float): Mixing ratio.
            index (LongTensor): Pairing [N].

        Returns:
            dict: ``mask``, ``raw_mask``, ``attention`` (see the Mix Block's ``forward``).
        """
        return masks_as_in_training(self.momentum_encoder.module[0], self.mix_block, self.mix_layer, images, lam,
                                    index, self.mix_feature_stats)

    def training_draws(self, images: torch.Tensor) -> Dict:
        """:meth:`draw_masks` for a step of the model's own training: first checks that ``k`` was updated since the
        previous training step (in train mode only).

        Raises:
            RuntimeError: When ``k``'s update count did not change since the previous training step of this process,
                i.e. nothing called :meth:`momentum_update` (no ``MomentumPipelineHook``).
        """
        if self.training:
            steps = int(self.momentum_encoder.steps)
            if steps == self._momentum_steps_at_last_step:
                raise RuntimeError(
                    f'{type(self).__name__}: the momentum encoder was not updated since the previous training step '
                    f'(update count still {steps}): MomentumPipelineHook is missing. Add '
                    f"`default_hooks.momentum_pipeline=dict(type='MomentumPipelineHook')` to the config, or call "
                    f'model.momentum_update(m) after every train_step.')
            self._momentum_steps_at_last_step = steps
        return self.draw_masks(images)
