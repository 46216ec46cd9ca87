"""Mixed precision: what ``--amp`` makes of the optimizer wrapper (MMEngine's ``AmpOptimWrapper`` on a GPU), and
bfloat16 autocast on the CPU, an optimizer wrapper that refuses a CPU without native bfloat16."""
import logging
from contextlib import contextmanager
from typing import Optional

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


#: ``--amp-dtype`` choices: the autocast dtype of ``AmpOptimWrapper`` on a GPU.
AMP_DTYPES = ('float16', 'bfloat16')


def mixed_precision(optim_wrapper: dict, dtype: Optional[str] = None, cuda: Optional[bool] = None) -> dict:
    """The optimizer wrapper config of a mixed-precision run (``tools/train.py --amp [--amp-dtype DTYPE]``).

    On a GPU, MMEngine's ``AmpOptimWrapper`` (autocast in ``dtype``; parameters, gradients and optimizer state stay
    float32):

    - ``float16`` (default): with a dynamic loss scaler (``GradScaler``): the loss is multiplied by the scale before
      each backward pass (AutoMix / AMix take several per step, all with the step's one scale), the gradients are
      unscaled before the update, and a step whose gradients overflowed is skipped while the scale is halved;
      :class:`~openmixosr.engine.hooks.NonFiniteLossHook` reads the losses, which stay finite in such a step.
    - ``bfloat16`` (GPUs of compute capability >= 8.0, e.g. A100 / H100): no loss scaling (``loss_scale=
      dict(enabled=False)``): bfloat16 has float32's exponent range, gradients do not underflow.

    On the CPU, :class:`CPUAutocastOptimWrapper` (bfloat16 only), refused on a CPU without native bfloat16
    (:func:`check_native_bf16`) unless the config sets ``allow_emulated_bf16=True``.

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper`` (an ``OptimWrapper``; its ``optimizer``, ``clip_grad``,
            ``accumulative_counts`` and ``paramwise_cfg`` are kept). An explicit ``loss_scale`` is kept.
        dtype (str, optional): ``'float16'`` or ``'bfloat16'``; None for the default (float16 on a GPU, bfloat16 on
            the CPU).
        cuda (bool, optional): Whether a GPU is used; None asks torch.

    Returns:
        dict: The new ``optim_wrapper`` config.

    Raises:
        ValueError: An unknown dtype, or float16 without a GPU.
        RuntimeError: bfloat16 on a GPU without it, or on a CPU without native bfloat16 (see above).
    """
    if dtype is not None and dtype not in AMP_DTYPES:
        raise ValueError(f'--amp-dtype must be one of {AMP_DTYPES}, got {dtype!r}')
    cuda = torch.cuda.is_available() if cuda is None else cuda
    wrapper = dict(optim_wrapper)
    if not cuda:
        if dtype == 'float16':
            raise ValueError('--amp-dtype float16 needs a GPU (float16 autocast with a loss scaler); on the CPU --amp '
                             'is bfloat16 autocast (CPUAutocastOptimWrapper): leave --amp-dtype out.')
        check_native_bf16(wrapper.get('allow_emulated_bf16', False))  # before anything is built
        wrapper['type'] = 'CPUAutocastOptimWrapper'
        return wrapper
    dtype = dtype or 'float16'
    if dtype == 'bfloat16' and not torch.cuda.is_bf16_supported():
        raise RuntimeError(f'--amp-dtype bfloat16: {torch.cuda.get_device_name()} does not compute bfloat16 (it needs '
                           'compute capability >= 8.0, e.g. A100, H100); use --amp-dtype float16 (the default).')
    wrapper.pop('allow_emulated_bf16', None)  # a CPU-only option
    wrapper.update(type='AmpOptimWrapper', dtype=dtype)
    wrapper.setdefault('loss_scale', 'dynamic' if dtype == 'float16' else dict(enabled=False))
    return wrapper
