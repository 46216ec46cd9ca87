"""The mask-loss weight schedule of AutoMix Eq. 7, for every model that trains a Mix Block."""
from typing import List

from mmengine.hooks import Hook
from mmengine.logging import print_log

from openmixosr.models.mix_blocks import BaseMixBlock
from openmixosr.registry import HOOKS
from .momentum_pipeline_hook import cosine_ramp
from .runner_model import runner_model


def linear_ramp(start: float, end: float, progress: float) -> float:
    """``start + (end - start) * progress``: ``start`` at progress 0, ``end`` at 1."""
    progress = min(max(progress, 0.0), 1.0)
    return start + (end - start) * progress


MASK_LOSS_SCHEDULES = dict(linear=linear_ramp, cosine=cosine_ramp)


def trained_mix_blocks(model) -> List[BaseMixBlock]:
    """The Mix Blocks of ``model`` whose parameters are trained (a frozen one keeps its weight)."""
    return [module for module in model.modules()
            if isinstance(module, BaseMixBlock) and any(param.requires_grad for param in module.parameters())]


@HOOKS.register_module()
class MaskLossScheduleHook(Hook):
    """Decay the mask-loss weight ``w`` of every trained Mix Block of the model (AutoMix Eq. 7, "linearly decreased").

    Before training iteration ``t`` of ``T``, ``mix_block.mask_loss_weight`` = ``ramp(w0, end_mask_loss_weight,
    t / T)``, with ``w0`` the Mix Block's own setting (``initial_mask_loss_weight``, its ``mask_loss_weight``
    argument, 0.1 by default): linearly by default, as AutoMix Eq. 7 says ("gamma is a loss weight linearly decreased
    to 0 during training"), or by a cosine (``mask_loss_schedule='cosine'``, the authors' released code). It is the
    one schedule of a Mix Block's mask loss: every model that trains one (AutoMix, AMix, MoCo v2 AMix, the asymmetric
    distiller with a learned mixer) lists it in ``required_hooks``, and the configs register it as
    ``default_hooks.mask_loss_schedule``. The weight follows from the iteration count, so a resumed run carries on
    exactly. A model that trains no Mix Block (its mixer swapped for a hand-made one) leaves the hook nothing to do:
    it says so in the log once.

    Args:
        end_mask_loss_weight (float): ``w`` at the end. Defaults to 0.0.
        mask_loss_schedule (str): ``'linear'`` (AutoMix Eq. 7, default) or ``'cosine'`` (authors' code).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, end_mask_loss_weight: float = 0.0, mask_loss_schedule: str = 'linear'):
        if mask_loss_schedule not in MASK_LOSS_SCHEDULES:
            raise ValueError(f'mask_loss_schedule must be one of {sorted(MASK_LOSS_SCHEDULES)}, '
                             f'got {mask_loss_schedule!r}')
        self.end_mask_loss_weight = end_mask_loss_weight
        self.mask_loss_schedule = mask_loss_schedule

    def mask_loss_weight_at(self, initial: float, iteration: int, max_iters: int) -> float:
        """``w`` at ``iteration`` of ``max_iters``, from ``initial`` (the Mix Block's) to ``end_mask_loss_weight``."""
        ramp = MASK_LOSS_SCHEDULES[self.mask_loss_schedule]
        return ramp(initial, self.end_mask_loss_weight, iteration / max_iters)

    def before_train(self, runner) -> None:
        if not trained_mix_blocks(runner_model(runner)):
            print_log('MaskLossScheduleHook: the model trains no Mix Block (its mixer has none, or a frozen one): '
                      'no mask-loss weight to schedule.', logger='current')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        for mix_block in trained_mix_blocks(runner_model(runner)):
            mix_block.mask_loss_weight = self.mask_loss_weight_at(mix_block.initial_mask_loss_weight, runner.iter,
                                                                  runner.max_iters)
