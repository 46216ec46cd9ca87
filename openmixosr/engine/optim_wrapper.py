"""Optimizer-wrapper helpers: bfloat16 autocast on the CPU, backward passes that do not count as updates."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from openmixosr.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` that runs the forward pass under ``torch.autocast('cpu', dtype=bfloat16)``.

    MMEngine's ``AmpOptimWrapper`` requires a GPU. bfloat16 has float32's exponent range, so no loss scaling is needed;
    parameters, gradients and the optimizer state stay float32. ``tools/train.py --amp`` picks this wrapper when no
    GPU is present.
    """

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            yield


def backward_without_update(optim_wrapper: OptimWrapper, loss: torch.Tensor) -> None:
    """Back-propagate one part of a step's loss exactly as ``optim_wrapper.update_params`` would, without an update.

    The loss is scaled for gradient accumulation (``scale_loss``) and, for AMP wrappers, by the loss scaler
    (``backward``); the gradients accumulate in ``.grad``. ``OptimWrapper.backward`` also counts the call as one
    iteration of gradient accumulation; a step made of several backward passes is still one iteration, so the count
    is taken back (MMEngine keeps it in ``_inner_count``). The step ends with ``update_params`` on its last part.

    Args:
        optim_wrapper (OptimWrapper): The wrapper that will update the parameters at the end of the step.
        loss (Tensor): A scalar part of the step's loss.
    """
    optim_wrapper.backward(optim_wrapper.scale_loss(loss))
    optim_wrapper._inner_count -= 1
