"""The momentum (EMA) update of AutoMix's Momentum Pipeline."""
import math

from mmengine.hooks import Hook

from openmixosr.models.algorithms.momentum_mix import MomentumMixMixin
from openmixosr.registry import HOOKS
from .runner_model import runner_model


def cosine_ramp(start: float, end: float, progress: float) -> float:
    """``end - (end - start) * (1 + cos(pi * progress)) / 2``: ``start`` at progress 0, ``end`` at 1."""
    progress = min(max(progress, 0.0), 1.0)
    return end - (end - start) * (1.0 + math.cos(math.pi * progress)) / 2.0


@HOOKS.register_module()
class MomentumPipelineHook(Hook):
    """Update a model's momentum encoder after each optimizer step (AutoMix Eq. 12).

    The model must be a :class:`~openmixosr.models.algorithms.MomentumMixMixin` (AutoMix, AMix, MoCoAMix,
    MoCoAMixCluster), which lists this hook in its ``required_hooks``; the configs register it as
    ``default_hooks.momentum_pipeline``. After training iteration ``t`` of ``T`` (``progress = t / T``),
    ``model.momentum_update(m)`` with ``m = cosine_ramp(momentum, end_momentum, progress)`` (0.999 -> 1 "in a cosine
    curve", AutoMix Sec. 4.1): ``theta_k <- m * theta_k + (1 - m) * theta_q``. Docs: docs/automix.md, Method
    reference. The mask-loss weight of a trained Mix Block is scheduled by
    :class:`~openmixosr.engine.hooks.MaskLossScheduleHook`, the one hook that does it for every model.

    ``m`` follows from the iteration count, and ``k`` is part of the model's state dict, so a resumed run carries on
    exactly.

    Args:
        momentum (float): ``m`` at the start of training. Defaults to 0.999.
        end_momentum (float): ``m`` at the end. Defaults to 1.0.
        momentum_delay (float): Fraction of training during which ``m`` stays at ``momentum`` before its cosine ramp
            starts (the ramp then spans the rest). 0 (default) is the papers' schedule; the authors' CIFAR configs
            delay it by 10 % (0.1).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, momentum: float = 0.999, end_momentum: float = 1.0, momentum_delay: float = 0.0):
        for name, value in (('momentum', momentum), ('end_momentum', end_momentum)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f'{name} must be in [0, 1], got {value}')
        if not 0.0 <= momentum_delay < 1.0:
            raise ValueError(f'momentum_delay must be in [0, 1), got {momentum_delay}')
        self.momentum_delay = momentum_delay
        self.momentum = momentum
        self.end_momentum = end_momentum

    @staticmethod
    def _model(runner) -> MomentumMixMixin:
        return runner_model(runner, MomentumMixMixin, 'MomentumPipelineHook')

    def momentum_at(self, iteration: int, max_iters: int) -> float:
        progress = (iteration / max_iters - self.momentum_delay) / (1.0 - self.momentum_delay)
        return cosine_ramp(self.momentum, self.end_momentum, progress)

    def before_train(self, runner) -> None:
        self._model(runner)  # a clear error before the first step for a model without a momentum encoder

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._model(runner).momentum_update(self.momentum_at(runner.iter, runner.max_iters))
