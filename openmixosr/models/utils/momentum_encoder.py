"""The momentum (EMA) copy of a network, updated with multi-tensor ops."""
import torch
from mmengine.model import BaseAveragedModel
from torch import nn


class MomentumEncoder(BaseAveragedModel):
    """A frozen copy ``k`` of a network ``q`` that follows it as ``theta_k <- m * theta_k + (1 - m) * theta_q``.

    MMEngine's :class:`~mmengine.model.ExponentialMovingAverage` updates one parameter at a time, weights the new value
    by its ``momentum`` and copies the online weights at the first update. Here ``momentum`` is the weight of the old
    value as in the AutoMix / MoCo papers, the first update is an ordinary EMA step (``k`` starts as a copy of ``q``),
    and all parameters are updated by one multi-tensor ``lerp`` (``torch._foreach_lerp_``). ``steps`` counts the
    updates and is saved with the model.

    Buffers (BatchNorm running statistics) are not averaged; ``buffers`` says where ``k`` gets them from:

    - ``'copy'``: every update copies all buffers of ``q`` into ``k``, so an evaluation of ``k`` uses ``q``'s
      statistics with ``k``'s weights;
    - ``'own'``: an update never touches the buffers; after the initial copy they change only through ``k``'s own
      train-mode forwards (as in the authors' AutoMix code and mmpretrain's MoCo, whose EMA leaves buffers alone).

    Args:
        model (nn.Module): The online network ``q`` to copy.
        buffers (str): ``'copy'`` or ``'own'``, see above. Defaults to ``'copy'`` (what MoCoAMix uses); ``AutoMix``
            passes its ``momentum_buffers``, ``'own'`` by default.
    """

    BUFFER_MODES = ('copy', 'own')

    def __init__(self, model: nn.Module, buffers: str = 'copy'):
        if buffers not in self.BUFFER_MODES:
            raise ValueError(f"MomentumEncoder buffers must be 'copy' (take q's BatchNorm statistics at every update) "
                             f"or 'own' (keep k's own), got {buffers!r}")
        super().__init__(model, interval=1, update_buffers=False)
        self.buffers_mode = buffers

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor, steps: int) -> None:
        raise NotImplementedError('MomentumEncoder updates all parameters at once; call update_parameters(model, m).')

    @torch.no_grad()
    def update_parameters(self, model: nn.Module, momentum: float) -> None:
        """One momentum step: ``theta_k <- m * theta_k + (1 - m) * theta_q``; buffers copied from ``model`` in
        ``'copy'`` mode, left alone in ``'own'`` mode.

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
        if self.buffers_mode == 'copy':
            self._copy_buffers(model)
        self.steps += 1

    @torch.no_grad()
    def _copy_buffers(self, model: nn.Module) -> None:
        """Copy all buffers of ``model`` (BatchNorm running mean / var / batch count) into the copy."""
        averaged_buffers = list(self.module.buffers())
        if averaged_buffers:
            torch._foreach_copy_(averaged_buffers, list(model.buffers()))

    @torch.no_grad()
    def copy_from(self, model: nn.Module) -> None:
        """Make the copy equal to ``model`` (after the online network was (re-)initialised)."""
        self.module.load_state_dict(model.state_dict())
