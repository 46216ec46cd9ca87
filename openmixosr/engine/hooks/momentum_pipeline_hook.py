"""Schedules of AutoMix's Momentum Pipeline: the EMA momentum and the mask-loss weight."""
import math

from mmengine.hooks import Hook

from openmixosr.models.algorithms.momentum_mix import MomentumMixMixin
from openmixosr.registry import HOOKS
from .runner_model import runner_model


def cosine_ramp(start: float, end: float, progress: float) -> float:
    """``end - (end - start) * (1 + cos(pi * progress)) / 2``: ``start`` at progress 0, ``end`` at 1."""
    progress = min(max(progress, 0.0), 1.0)
    return end - (end - start) * (1.0 + math.cos(math.pi * progress)) / 2.0


def linear_ramp(start: float, end: float, progress: float) -> float:
    """``start + (end - start) * progress``: ``start`` at progress 0, ``end`` at 1."""
    progress = min(max(progress, 0.0), 1.0)
    return start + (end - start) * progress


MASK_LOSS_SCHEDULES = dict(linear=linear_ramp, cosine=cosine_ramp)


@HOOKS.register_module()
class MomentumPipelineHook(Hook):
    """Update AutoMix's momentum encoder after each optimizer step and decay the Mix Block's mask-loss weight.

    The model must be a :class:`~openmixosr.models.algorithms.MomentumMixMixin` (AutoMix, AMix, MoCoAMix,
    MoCoAMixCluster), which lists this hook in its ``required_hooks``; the configs register it as
    ``default_hooks.momentum_pipeline``. At training iteration ``t`` of ``T`` (``progress = t / T``):

    - before the step, the mask-loss weight ``mix_block.mask_loss_weight`` goes from the Mix Block's own setting
      (its ``mask_loss_weight`` argument, kept as ``mix_block.initial_mask_loss_weight``; 0.1 by default) to
      ``end_mask_loss_weight`` (0 by default): linearly by default, as AutoMix Eq. 7 says ("gamma is a loss
      weight linearly decreased to 0 during training"), or by a cosine (``mask_loss_schedule='cosine'``, the authors'
      released code);
    - after the step, ``model.momentum_update(m)`` with ``m = cosine_ramp(momentum, end_momentum, progress)``
      (0.999 -> 1 "in a cosine curve", AutoMix Sec. 4.1): AutoMix Eq. 12, ``theta_k <- m * theta_k + (1 - m) *
      theta_q``. Docs: docs/automix.md, Method reference.

    Both values follow from the iteration count and the model's settings, and ``k`` is part of the model's state
    dict, so a resumed run carries on exactly.

    Args:
        momentum (float): ``m`` at the start of training. Defaults to 0.999.
        end_momentum (float): ``m`` at the end. Defaults to 1.0.
        end_mask_loss_weight (float): ``w`` at the end. Defaults to 0.0.
        mask_loss_schedule (str): ``'linear'`` (AutoMix Eq. 7, default) or ``'cosine'`` (authors' code).
        momentum_delay (float): Fraction of training during which ``m`` stays at ``momentum`` before its cosine ramp
            starts (the ramp then spans the rest). 0 (default) is the papers' schedule; the authors' CIFAR configs
            delay it by 10 % (0.1).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 momentum: float = 0.999,
                 end_momentum: float = 1.0,
                 end_mask_loss_weight: float = 0.0,
                 mask_loss_schedule: str = 'linear',
                 momentum_delay: float = 0.0):
        for name, value in (('momentum', momentum), ('end_momentum', end_momentum)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        if mask_loss_schedule not in MASK_LOSS_SCHEDULES:
            raise ValueError(f'mask_loss_schedule must be one of {sorted(MASK_LOSS_SCHEDULES)}, '
                             f'got {mask_loss_schedule!r}')
        if not 0.0 <= momentum_delay < 1.0:
            raise ValueError(f'momentum_delay must be in [0, 1), got {momentum_delay}')
        self.momentum_delay = momentum_delay
        self.momentum = momentum
        self.end_momentum = end_momentum
        self.end_mask_loss_weight = end_mask_loss_weight
        self.mask_loss_schedule = mask_loss_schedule

    @staticmethod
    def _model(runner) -> MomentumMixMixin:
        return runner_model(runner, MomentumMixMixin, 'MomentumPipelineHook')

    def momentum_at(self, iteration: int, max_iters: int) -> float:
        progress = (iteration / max_iters - self.momentum_delay) / (1.0 - self.momentum_delay)
        return cosine_ramp(self.momentum, self.end_momentum, progress)

    def mask_loss_weight_at(self, initial: float, iteration: int, max_iters: int) -> float:
        """``w`` at ``iteration`` of ``max_iters``, from ``initial`` (the Mix Block's) to ``end_mask_loss_weight``."""
        ramp = MASK_LOSS_SCHEDULES[self.mask_loss_schedule]
        return ramp(initial, self.end_mask_loss_weight, iteration / max_iters)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        mix_block = self._model(runner).mix_block
        mix_block.mask_loss_weight = self.mask_loss_weight_at(mix_block.initial_mask_loss_weight, runner.iter,
                                                              runner.max_iters)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._model(runner).momentum_update(self.momentum_at(runner.iter, runner.max_iters))
