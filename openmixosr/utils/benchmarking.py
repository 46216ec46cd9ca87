"""The timing and memory harness of ``tools/benchmark``: interleaved rounds, medians, fresh-process peak memory.

- :func:`time_interleaved` runs every variant once per round, in turn (A B C A B C ...), after untimed warm-up
  rounds, and keeps the median: a change of machine load during the run hits all variants alike.
- :func:`run_in_fresh_process` calls a function of a Python file in a new interpreter, which reports its result and
  its peak resident set size (``VmHWM``, else ``ru_maxrss``): one process per measurement, so that no earlier
  measurement's peak or allocator cache counts.
- :func:`rss_rise_mb` measures how far one call raises the resident set above its level before the call; with
  :func:`unpooled_malloc` the resident set follows the live tensors.
"""
import ctypes
import ctypes.util
import gc
import json
import logging
import math
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

from mmengine.logging import MMLogger


@dataclass
class Task:
    """A timed call with an untimed preparation: each round times ``run(prepare())`` without ``prepare()``.

    Args:
        run (Callable[[Any], Any]): The timed work; it receives what ``prepare`` returned.
        prepare (Callable[[], Any]): Untimed set-up of each call (e.g. fresh data samples, gradients to apply).
    """
    run: Callable[[Any], Any]
    prepare: Callable[[], Any]


@dataclass
class InterleavedTimes:
    """What :func:`time_interleaved` measured.

    Args:
        seconds (dict[str, list[float]]): Task name -> the durations of its timed rounds, in order.
        results (dict[str, Any]): Task name -> what its last call returned.
    """
    seconds: Dict[str, List[float]]
    results: Dict[str, Any]

    def medians(self) -> Dict[str, float]:
        """Task name -> median duration in seconds."""
        return {name: statistics.median(values) for name, values in self.seconds.items()}


def time_interleaved(tasks: Mapping[str, Union[Callable[[], Any], Task]],
                     rounds: int,
                     warmup: int = 0,
                     clock: Callable[[], float] = time.perf_counter) -> InterleavedTimes:
    """Call every task once per round, in the mapping's order; time each call.

    The garbage collector runs before each call (untimed) and is off during it. The ``warmup`` rounds run first and
    are not recorded.

    Args:
        tasks (Mapping[str, Callable | Task]): Name -> a callable without arguments (timed whole) or a :class:`Task`.
        rounds (int): Recorded rounds, >= 1.
        warmup (int): Unrecorded rounds before them, >= 0. Defaults to 0.
        clock (Callable[[], float]): Time in seconds. Defaults to ``time.perf_counter``.

    Returns:
        InterleavedTimes: Every recorded duration and each task's last result.
    """
    if not tasks:
        raise ValueError('no tasks to time')
    if rounds < 1 or warmup < 0:
        raise ValueError(f'rounds must be >= 1 and warmup >= 0, got rounds={rounds}, warmup={warmup}')
    times = InterleavedTimes(seconds={name: [] for name in tasks}, results={})
    for round_index in range(warmup + rounds):
        for name, task in tasks.items():
            run, argument = (task.run, (task.prepare(), )) if isinstance(task, Task) else (task, ())
            gc.collect()
            gc.disable()
            try:
                start = clock()
                times.results[name] = run(*argument)
                elapsed = clock() - start
            finally:
                gc.enable()
            if round_index >= warmup:
                times.seconds[name].append(elapsed)
    return times


# ---------------------------------------------------------------------------------------------------------------
# Fresh-process measurements
# ---------------------------------------------------------------------------------------------------------------
RESULT_TAG = 'FRESH_PROCESS_RESULT '
# The child imports only the standard library before the target file, so its peak is the target's (plus the
# interpreter). Its peak is VmHWM, the high-water mark of its own address space: Linux carries the parent's peak
# across fork + exec into ru_maxrss (a child of a 700 MB parent reports 700 MB), so ru_maxrss is the fallback where
# /proc is missing (in KiB on Linux, in bytes on macOS).
_CHILD_MAIN = f'''
import importlib.util, json, resource, sys
script, function, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
spec = importlib.util.spec_from_file_location('fresh_process_target', script)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = getattr(module, function)(**kwargs)
try:
    with open('/proc/self/status') as status:
        peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith('VmHWM:'))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == 'darwin' else 1024)
print({RESULT_TAG!r} + json.dumps(dict(result=result, peak_rss_bytes=peak)), flush=True)
'''


@dataclass
class FreshProcessRun:
    """What :func:`run_in_fresh_process` returns.

    Args:
        result (Any): The function's return value (through JSON).
        peak_rss_mb (float): The child's peak resident set size over its whole life (interpreter included), in MiB.
    """
    result: Any
    peak_rss_mb: float


def run_in_fresh_process(script: str, function: str, timeout: Optional[float] = None, **kwargs) -> FreshProcessRun:
    """Call ``function(**kwargs)`` of the Python file ``script`` in a new interpreter (``sys.executable``).

    The file is loaded as a module named ``fresh_process_target`` (its ``if __name__ == '__main__'`` block does not
    run). The keyword arguments and the return value must be JSON-serialisable.

    Args:
        script (str): Path of the Python file.
        function (str): Name of a module-level function in it.
        timeout (float, optional): Seconds before the child is killed. None waits.
        **kwargs: The function's arguments.

    Returns:
        FreshProcessRun: The function's result and the child's peak RSS.

    Raises:
        RuntimeError: The child failed or printed no result (the message ends with its stderr).
    """
    command = [sys.executable, '-c', _CHILD_MAIN, str(script), function, json.dumps(kwargs)]
    child = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    lines = [line for line in child.stdout.splitlines() if line.startswith(RESULT_TAG)]
    if child.returncode != 0 or not lines:
        raise RuntimeError(f'{function} of {script} failed in a fresh process (exit code {child.returncode}):\n'
                           f'{child.stderr[-3000:]}')
    report = json.loads(lines[-1][len(RESULT_TAG):])
    return FreshProcessRun(result=report['result'], peak_rss_mb=report['peak_rss_bytes'] / 2**20)


# ---------------------------------------------------------------------------------------------------------------
# Resident memory of one call
# ---------------------------------------------------------------------------------------------------------------
def _libc():
    name = ctypes.util.find_library('c')
    return ctypes.CDLL(name) if name else None


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@contextmanager
def unpooled_malloc(threshold: int = 64 * 1024) -> Iterator[bool]:
    """Make glibc serve every allocation >= ``threshold`` bytes with its own mapping, returned to the OS when freed.

    Otherwise glibc keeps freed memory cached and the resident set does not follow the live tensors. On exit glibc's
    largest dynamic thresholds (32 / 64 MiB) are set, as near to its default as ``mallopt`` allows.

    Args:
        threshold (int): Bytes. Defaults to 64 KiB.

    Yields:
        bool: Whether the thresholds were set (False without glibc).
    """
    libc = _libc()
    if libc is None or not hasattr(libc, 'mallopt'):
        yield False
        return
    pinned = bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, threshold))
    try:
        yield pinned
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 2**20)
        libc.mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)


def _trim_malloc() -> None:
    libc = _libc()
    if libc is not None and hasattr(libc, 'malloc_trim'):
        libc.malloc_trim(0)


def _proc_status_kib(field: str) -> Optional[int]:
    """``VmRSS`` / ``VmHWM`` of this process in KiB (None where /proc is missing)."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False where not permitted."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        return True
    except OSError:
        return False


def rss_rise_mb(function: Callable[[], Any]) -> float:
    """How far the resident set rises above its level before ``function()``, at its highest during the call (MiB).

    Reads ``VmRSS``, resets the high-water mark (``echo 5 > /proc/self/clear_refs``), calls, reads ``VmHWM``. Where
    ``clear_refs`` is not writable the process's ``ru_maxrss`` replaces ``VmHWM``: right in a fresh process whose
    earlier peaks were lower (e.g. warm-up calls of the same function).

    Args:
        function (Callable[[], Any]): The call to measure.

    Returns:
        float: MiB (>= 0), NaN without ``/proc`` (not Linux).
    """
    gc.collect()
    _trim_malloc()
    before_kib = _proc_status_kib('VmRSS')
    if before_kib is None:
        function()
        return math.nan
    if _reset_peak_rss():
        function()
        peak_kib = _proc_status_kib('VmHWM')
    else:
        function()
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(peak_kib - before_kib, 0) / 1024


@contextmanager
def quiet_logger() -> Iterator[None]:
    """Silence MMEngine's INFO messages (``init_weights`` logs every parameter) while benchmarks build models."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
