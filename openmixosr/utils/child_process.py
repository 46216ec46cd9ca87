"""Child processes that die with the process that started them.

The table tools start each training as a child process. Killed by ``kill -9``, a ``timeout`` or a scheduler, the
tool must not leave its trainings running as orphans (an immediate re-run would then train the same run twice). On
Linux each child is started through this file as a trampoline (``python .../child_process.py PID -- COMMAND...``;
run as a script, it imports nothing but the standard library), which asks the kernel to send it ``SIGTERM`` when its
parent dies (``prctl(PR_SET_PDEATHSIG)``, kept across ``exec``) and then becomes ``COMMAND``. Elsewhere (no ``prctl``)
the command runs as it is.
"""
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from typing import List, Sequence

_PR_SET_PDEATHSIG = 1


def _set_parent_death_signal(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False where that is not possible."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def tied_command(command: Sequence[str]) -> List[str]:
    """``command`` started so that it receives ``SIGTERM`` when this process dies (on Linux)."""
    if not sys.platform.startswith('linux'):
        return list(command)
    return [sys.executable, os.path.abspath(__file__), str(os.getpid()), '--', *command]


def run_tied(command: Sequence[str], **kwargs) -> int:
    """Run ``command`` (:func:`tied_command`) to its end, like ``subprocess.run``; its exit code.

    A ``KeyboardInterrupt`` or any error while waiting terminates the child before it propagates.
    """
    process = subprocess.Popen(tied_command(command), **kwargs)
    try:
        return process.wait()
    except BaseException:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        raise


def main(argv: Sequence[str]) -> None:
    """``PARENT_PID -- COMMAND...``: set the parent-death signal, check the parent still lives, become COMMAND."""
    parent, separator, command = argv[0], argv[1], list(argv[2:])
    if separator != '--' or not command:
        sys.exit('usage: python child_process.py PARENT_PID -- COMMAND [ARGS...]')
    _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != int(parent):  # the parent died before the signal was set
        sys.exit(f'{command[0]}: not started, its parent process {parent} has ended')
    os.execvp(command[0], command)


if __name__ == '__main__':
    main(sys.argv[1:])
