"""Mixed precision on the CPU: bfloat16 autocast around the forward pass."""
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
