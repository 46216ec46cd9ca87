"""What the CPU can do: its name and whether it computes bfloat16 natively (the ``--amp`` fast path on CPU)."""
import platform
from typing import Dict, FrozenSet, Optional

CPUINFO = '/proc/cpuinfo'
#: ``/proc/cpuinfo`` flags of native bfloat16 arithmetic: AVX512-BF16 and AMX-BF16 on x86, ``bf16`` on ARMv8.6+.
NATIVE_BF16_FLAGS = frozenset({'avx512_bf16', 'amx_bf16', 'bf16'})


def read_cpuinfo(path: str = CPUINFO) -> Optional[Dict[str, object]]:
    """The model name and the feature flags of the first processor listed in ``/proc/cpuinfo``.

    Args:
        path (str): The file to read. Defaults to ``/proc/cpuinfo`` (Linux).

    Returns:
        dict | None: ``{'model': str, 'flags': frozenset[str]}``, or None when the file does not exist (not Linux).
    """
    try:
        with open(path) as file:
            text = file.read()
    except OSError:
        return None
    model, flags = None, None
    for line in text.splitlines():
        key, _, value = line.partition(':')
        key = key.strip().lower()
        if key in ('model name', 'cpu model') and model is None:
            model = value.strip()
        elif key in ('flags', 'features') and flags is None:  # x86 / ARM
            flags = frozenset(value.split())
    return dict(model=model or platform.processor() or 'unknown CPU', flags=flags or frozenset())


def has_native_bf16(info: Optional[Dict[str, object]] = None) -> Optional[bool]:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16, AMX-BF16 or ARM BF16).

    Without these instructions torch emulates bfloat16 and autocast is much *slower* than float32 (the README
    gives the measured factor).

    Args:
        info (dict, optional): Output of :func:`read_cpuinfo`; read from ``/proc/cpuinfo`` when None.

    Returns:
        bool | None: None when it cannot be told (no ``/proc/cpuinfo``).
    """
    info = read_cpuinfo() if info is None else info
    if info is None:
        return None
    flags: FrozenSet[str] = info['flags']  # type: ignore[assignment]
    return bool(flags & NATIVE_BF16_FLAGS)


def describe_cpu(info: Optional[Dict[str, object]] = None) -> str:
    """One line naming the CPU and its bfloat16 support, for logs and benchmark output.

    Args:
        info (dict, optional): Output of :func:`read_cpuinfo`; read from ``/proc/cpuinfo`` when None.

    Returns:
        str: e.g. ``'AMD EPYC (native bfloat16: avx512_bf16)'``.
    """
    info = read_cpuinfo() if info is None else info
    if info is None:
        return f'{platform.processor() or platform.machine()} (bfloat16 support unknown: no {CPUINFO})'
    native = sorted(info['flags'] & NATIVE_BF16_FLAGS)  # type: ignore[operator]
    support = f'native bfloat16: {", ".join(native)}' if native else 'no native bfloat16: no avx512_bf16 / amx_bf16'
    return f'{info["model"]} ({support})'
