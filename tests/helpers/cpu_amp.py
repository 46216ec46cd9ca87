"""MMEngine's ``AmpOptimWrapper`` run on the CPU (a test double): its own backward / step / state-dict code, with its
two CUDA-only pieces replaced by their CPU twins.

``AmpOptimWrapper`` asserts at construction that CUDA (or NPU / MLU / MUSA) is present, builds
``torch.cuda.amp.GradScaler`` (disabled without CUDA) and autocasts with MMEngine's ``autocast``, which allows only
bfloat16 on the CPU. :class:`CPUAmpOptimWrapper` builds it with the CUDA check answered yes, then gives it torch's
CPU ``GradScaler`` built from the same ``loss_scale`` argument (scale, unscale, inf checks, skipped steps and scale
updates as on a GPU) and autocasts with ``torch.autocast('cpu', dtype)`` (float16 or bfloat16). Everything else
(``backward`` scaling the loss, ``step`` unscaling and stepping through the scaler, ``state_dict`` with the scaler's
state) is MMEngine's.
"""
import warnings
from contextlib import contextmanager
from unittest import mock

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.optim.optimizer import amp_optimizer_wrapper

from openmixosr.registry import OPTIM_WRAPPERS


def cpu_grad_scaler(loss_scale) -> torch.amp.GradScaler:
    """The CPU ``GradScaler`` that ``AmpOptimWrapper(loss_scale=...)`` builds on a GPU: ``'dynamic'``, a float (the
    initial and fixed scale) or a dict of ``GradScaler`` arguments."""
    if loss_scale == 'dynamic':
        return torch.amp.GradScaler('cpu')
    if isinstance(loss_scale, float):
        return torch.amp.GradScaler('cpu', init_scale=loss_scale)
    return torch.amp.GradScaler('cpu', **loss_scale)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` on the CPU (see the module docstring); same arguments."""

    def __init__(self, loss_scale='dynamic', dtype=None, **kwargs):
        with mock.patch.object(amp_optimizer_wrapper, 'is_cuda_available', return_value=True), \
                warnings.catch_warnings():
            warnings.simplefilter('ignore')  # torch.cuda.amp.GradScaler: deprecated, and disabled without CUDA
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
        self.loss_scaler = cpu_grad_scaler(loss_scale)

    @contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield
