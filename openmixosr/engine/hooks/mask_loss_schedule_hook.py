"""The mask-loss weight schedule of AutoMix Eq. 7, for a model that trains a Mix Block without a Momentum Pipeline."""
from typing import List

from mmengine.hooks import Hook

from openmixosr.models.mix_blocks import BaseMixBlock
from openmixosr.registry import HOOKS
from .momentum_pipeline_hook import MASK_LOSS_SCHEDULES
from .runner_model import runner_model


def trained_mix_blocks(model) -> List[BaseMixBlock]:
    """The Mix Blocks of ``model`` whose parameters are trained (a frozen one keeps its weight)."""
    return [module for module in model.modules()
            if isinstance(module, BaseMixBlock) and any(param.requires_grad for param in module.parameters())]


@HOOKS.register_module()
class MaskLossScheduleHook(Hook):
    """Decay the mask-loss weight ``w`` of every trained Mix Block of the model (AutoMix Eq. 7, "linearly decreased").

    Before training iteration ``t`` of ``T``, ``mix_block.mask_loss_weight`` = ``ramp(w0, end_mask_loss_weight,
    t / T)``, with ``w0`` the Mix Block's own setting (``initial_mask_loss_weight``, its ``mask_loss_weight``
    argument). :class:`MomentumPipelineHook` does the same for AutoMix / AMix, together with their momentum update;
    this hook serves a model that trains a Mix Block otherwise, e.g. the asymmetric distiller with a
    ``LearnedMaskMixer`` (which then lists it in ``required_hooks``). The weight follows from the iteration count, so
    a resumed run carries on exactly.

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

    def before_train(self, runner) -> None:
        if not trained_mix_blocks(runner_model(runner)):
            raise TypeError('MaskLossScheduleHook: the model trains no Mix Block (none, or all frozen); remove the '
                            'hook (default_hooks.mask_loss_schedule=None is refused by MMEngine: pop the key).')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        ramp = MASK_LOSS_SCHEDULES[self.mask_loss_schedule]
        progress = runner.iter / runner.max_iters
        for mix_block in trained_mix_blocks(runner_model(runner)):
            mix_block.mask_loss_weight = ramp(mix_block.initial_mask_loss_weight, self.end_mask_loss_weight, progress)
