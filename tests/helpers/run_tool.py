"""Run a repository tool in its own process (MMEngine keeps global state per process).

Tools run through the warm Python of :mod:`tests.helpers.warm_python` (a forked child of a server that has imported
the third-party libraries: a fresh process for everything the tool does, without 5 s of imports per start); the tool's
own children (the table tools' trainings, the launch scripts' processes) get it as ``PYTHON``. A test about the process
itself starts ``sys.executable``.
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers import warm_python as warm

REPO_ROOT = Path(__file__).resolve().parents[2]

_shim = None


def tool_env(python: str) -> dict:
    """The environment of a tool: the repository first on ``PYTHONPATH``; ``python`` the interpreter of its children
    (``PYTHON``: the launch scripts and the table tools' trainings; ``PYTHON_EXEC``: torchrun's workers)."""
    return dict(os.environ, PYTHONPATH=f'{REPO_ROOT}{os.pathsep}{os.environ.get("PYTHONPATH", "")}', PYTHON=python,
                PYTHON_EXEC=python)


def warm_python() -> str:
    """The shim of this process's warm-Python server (started on the first call, ended with this process)."""
    global _shim
    if _shim is not None:
        return _shim
    folder = tempfile.mkdtemp(prefix='warm-python-')
    socket_path = os.path.join(folder, 'server.sock')
    env = tool_env(sys.executable)
    server = subprocess.Popen([sys.executable, warm.__file__, '--serve', socket_path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env=env, cwd=REPO_ROOT)
    if server.stdout.readline() != b'ready\n':
        raise RuntimeError(f'the warm-Python server did not start (exit code {server.wait()})')

    def stop():
        server.stdin.close()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    _shim = warm.make_shim(os.path.join(folder, 'python'), socket_path, env.get('OMP_NUM_THREADS', ''))
    return _shim


def run_tool(*args, timeout=600, check=True, cwd=None) -> subprocess.CompletedProcess:
    """Run ``python tools/<args[0]> args[1:]`` (or ``bash`` for .sh files) from the repo root, in the warm Python;
    return the result."""
    script = REPO_ROOT / 'tools' / args[0]
    python = warm_python()
    command = (['bash'] if script.suffix == '.sh' else [python]) + [str(script), *map(str, args[1:])]
    result = subprocess.run(command, cwd=cwd or REPO_ROOT, env=tool_env(python), capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n'
                             f'{result.stderr[-6000:]}')
    return result
