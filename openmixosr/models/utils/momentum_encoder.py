"""The momentum (EMA) copy of a network, updated with multi-tensor ops."""
import torch
from mmengine.model import BaseAveragedModel
from torch import nn


class MomentumEncoder(BaseAveragedModel):
    """A frozen copy ``k`` of a network ``q`` that follows it as ``theta_k <- m * theta_k + (1 - m) * theta_q``.

    MMEngine's :class:`~mmengine.model.ExponentialMovingAverage` updates one parameter at a time, weights the new value
    by its ``momentum`` and copies the online weights at the first update. Here ``momentum`` is the weight of the old
    value as in the AutoMix / MoCo papers, the first update is an ordinary EMA step (``k`` starts as a copy of ``q``),
    and all parameters are updated by one multi-tensor ``lerp`` (``torch._foreach_lerp_``). Buffers (BatchNorm
    statistics) are copied from ``q``. ``steps`` counts the updates and is saved with the model.

    Args:
        model (nn.Module): The online network ``q`` to copy.
    """

    def __init__(self, model: nn.Module):
        super().__init__(model, interval=1, update_buffers=False)

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        raise NotImplementedError('MomentumEncoder updates all parameters at once; call update_parameters(model, m).')

    @torch.no_grad()
    def update_parameters(self, model: nn.Module, momentum: float) -> None:
        """One momentum step: ``theta_k <- m * theta_k + (1 - m) * theta_q``; buffers copied from ``model``.

        Args:
            model (nn.Module): The online network, with the same structure as the copy.
            momentum (float): ``m`` in [0, 1]; 1 keeps ``k`` unchanged.
        """
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f'momentum must be in [0, 1], got {momentum}')
        averaged = list(self.module.parameters())
        online = [param.detach() for param in model.parameters()]
        if len(averaged) != len(online):
            raise ValueError('MomentumEncoder.update_parameters got a model of another structure than its copy.')
        if momentum < 1.0:
            torch._foreach_lerp_(averaged, online, 1.0 - momentum)
        averaged_buffers = list(self.module.buffers())
        online_buffers = list(model.buffers())
        if averaged_buffers:
            torch._foreach_copy_(averaged_buffers, online_buffers)
        self.steps += 1

    @torch.no_grad()
    def copy_from(self, model: nn.Module) -> None:
        """Make the copy equal to ``model`` (after the online network was (re-)initialised)."""
        self.module.load_state_dict(model.state_dict())
