"""Channels-last memory format for CPU (and GPU) convolutions."""
import torch
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS
from .runner_model import runner_model


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model's parameters and buffers to the channels-last memory format before the run.

    Convolutions then pick channels-last kernels for their inputs too (speed-ups alone and with bf16 autocast:
    ``tools/benchmark/train_step.py --fast`` and the README). The parameters stay the same objects, so the optimizer
    and the momentum encoder keep working. ``tools/train.py --channels-last`` adds this hook.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner_model(runner)
        model.to(memory_format=torch.channels_last)
