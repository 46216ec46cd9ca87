"""Run a repository tool in a fresh Python process (MMEngine keeps global state per process)."""
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args, timeout=600, check=True, cwd=None) -> subprocess.CompletedProcess:
    """Run ``python tools/<args[0]> args[1:]`` (or ``bash`` for .sh files) from the repo root; return the result."""
    script = REPO_ROOT / 'tools' / args[0]
    command = (['bash'] if script.suffix == '.sh' else [sys.executable]) + [str(script), *map(str, args[1:])]
    # PYTHON: the launch scripts use the interpreter that runs the tests, activated or called by path.
    env = dict(os.environ, PYTHONPATH=f'{REPO_ROOT}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
               PYTHON=sys.executable)
    result = subprocess.run(command, cwd=cwd or REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(command)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n'
                             f'{result.stderr[-6000:]}')
    return result
