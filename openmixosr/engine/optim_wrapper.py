"""bfloat16 autocast on the CPU: an optimizer wrapper that refuses a CPU without native bfloat16."""
import logging
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from openmixosr.registry import OPTIM_WRAPPERS
from openmixosr.utils.cpu import describe_cpu, has_native_bf16, read_cpuinfo


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` that runs the forward pass under ``torch.autocast('cpu', dtype=bfloat16)``.

    MMEngine's ``AmpOptimWrapper`` requires a GPU. bfloat16 has float32's exponent range, so no loss scaling is needed;
    parameters, gradients and the optimizer state stay float32. ``tools/train.py --amp`` picks this wrapper when no
    GPU is present.

    bfloat16 only pays on a CPU that computes it natively (AVX512-BF16 or AMX on x86, BF16 on ARM; read from
    ``/proc/cpuinfo``). Elsewhere torch emulates it and a training step is many times *slower* than in float32 (the
    README's ``--amp`` note gives the measured factor), so the wrapper refuses to be built there unless told otherwise.

    Args:
        allow_emulated_bf16 (bool): Build the wrapper even on a CPU without native bfloat16 (with a warning).
            Defaults to False.
        **kwargs: Arguments of :class:`OptimWrapper` (``optimizer``, ``accumulative_counts``, ``clip_grad``).

    Raises:
        RuntimeError: On a CPU without native bfloat16, unless ``allow_emulated_bf16=True``.
    """

    def __init__(self, *args, allow_emulated_bf16: bool = False, **kwargs):
        check_native_bf16(allow_emulated_bf16)
        super().__init__(*args, **kwargs)

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(device_type='cpu', dtype=torch.bfloat16):
            yield


def check_native_bf16(allow_emulated: bool = False, info=None) -> None:
    """Refuse CPU bfloat16 autocast on a CPU that would emulate it; warn when this cannot be told.

    Args:
        allow_emulated (bool): Only warn on a CPU without native bfloat16. Defaults to False.
        info (dict, optional): Output of :func:`~openmixosr.utils.cpu.read_cpuinfo` (read when None).

    Raises:
        RuntimeError: On a CPU without native bfloat16, unless ``allow_emulated``.
    """
    info = read_cpuinfo() if info is None else info
    native = has_native_bf16(info)
    if native:
        return
    if native is None:
        print_log(f'CPUAutocastOptimWrapper: cannot tell whether this CPU computes bfloat16 natively '
                  f'({describe_cpu(info)}); if training is slower than without --amp, drop --amp.',
                  logger='current', level=logging.WARNING)
        return
    message = (f'bfloat16 autocast (--amp / CPUAutocastOptimWrapper) on a CPU without native bfloat16: '
               f'{describe_cpu(info)}. torch emulates bfloat16 there and a training step is many times slower than '
               f'in float32, not faster (the README\'s --amp note gives the measured factor).')
    if not allow_emulated:
        raise RuntimeError(f'{message} Train without --amp (float32), or set '
                           f'`optim_wrapper.allow_emulated_bf16=True` to use it anyway.')
    print_log(f'{message} Going on because allow_emulated_bf16=True.', logger='current', level=logging.WARNING)
