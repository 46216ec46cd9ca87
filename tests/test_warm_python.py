"""The warm Python that runs the tools in the suite (tests/helpers/warm_python.py) behaves as a fresh interpreter."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers.run_tool import tool_env, warm_python

PROBE = '''
import json, os, random, sys
import numpy as np
import torch
print(json.dumps(dict(argv=sys.argv, cwd=os.getcwd(), path0=sys.path[0], env=os.environ.get('PROBE_VALUE'),
                      threads=torch.get_num_threads(), random=random.random(), numpy=float(np.random.rand()),
                      torch=float(torch.rand(1)), name=__name__, openmixosr='openmixosr' in sys.modules,
                      pid=os.getpid())))
print('to stderr', file=sys.stderr)
'''


def _run(args, tmp_path, **env):
    shim = warm_python()
    return subprocess.run([shim, *map(str, args)], cwd=tmp_path, env=dict(tool_env(shim), **env),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / 'sub' / 'probe.py'
    path.parent.mkdir()
    path.write_text(PROBE)
    return path


def test_a_script_runs_as_in_a_fresh_interpreter(probe, tmp_path):
    import json
    first = _run([probe, 'a', '--b'], tmp_path, PROBE_VALUE='x', OMP_NUM_THREADS='1')
    again = _run([probe], tmp_path, OMP_NUM_THREADS='2')
    assert first.returncode == 0, first.stderr
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one['argv'] == [str(probe), 'a', '--b'] and one['cwd'] == str(tmp_path)
    assert one['path0'] == str(probe.parent) and one['name'] == '__main__'
    assert one['env'] == 'x' and two['env'] is None  # each run has its own environment
    assert (one['threads'], two['threads']) == (1, 2)  # OMP_NUM_THREADS as a new torch would read it
    assert first.stderr.strip() == 'to stderr' and 'to stderr' not in first.stdout
    # reseeded from the OS as a new interpreter is: the children do not repeat the server's random numbers
    assert all(one[key] != two[key] for key in ('random', 'numpy', 'torch')) and one['pid'] != two['pid']
    assert not one['openmixosr'], 'the server must not import the package the tools test'


@pytest.mark.parametrize('code, returncode, stderr', [
    ('import sys; sys.exit(3)', 3, ''),
    ('import sys; sys.exit("a message")', 1, 'a message\n'),
    ('raise ValueError("boom")', 1, 'Traceback (most recent call last):\n  File "{script}", line 1, in <module>\n'
                                   '    raise ValueError("boom")\nValueError: boom\n'),
    ('print("out")', 0, ''),
])
def test_exit_status_and_uncaught_errors_are_the_interpreters(tmp_path, code, returncode, stderr):
    script = tmp_path / 'script.py'
    script.write_text(code)
    warm = _run([script], tmp_path)
    fresh = subprocess.run([sys.executable, script], cwd=tmp_path, capture_output=True, text=True)
    assert (warm.returncode, warm.stdout, warm.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert (warm.returncode, warm.stderr) == (returncode, stderr.format(script=script))


def test_a_module_and_unbuffered_output_as_torchrun_starts_its_workers(tmp_path):
    (tmp_path / 'probe_module.py').write_text('import sys\nprint(__name__, sys.argv[1:])\n')
    result = _run(['-u', '-m', 'probe_module', 'x'], tmp_path)
    assert result.returncode == 0 and result.stdout == "__main__ ['x']\n", result.stderr


def test_what_it_cannot_serve_runs_in_the_real_interpreter(tmp_path):
    result = _run(['-c', 'import sys; print(sys.argv)', 'y'], tmp_path)
    assert result.stdout == "['-c', 'y']\n"


def _wait_for(path, timeout=60):
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f'{path} never appeared'
        time.sleep(0.05)


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGKILL], ids=['SIGTERM', 'SIGKILL'])
def test_a_signal_to_the_shim_ends_the_tool(tmp_path, sig):
    # SIGTERM is forwarded to the child; a SIGKILLed shim closes its connection and the server ends the child, so a
    # tool never outlives the process that started it (a test's timeout kills the shim).
    script = tmp_path / 'sleeper.py'
    script.write_text('import os, pathlib, time\npathlib.Path("pid").write_text(str(os.getpid()))\ntime.sleep(600)\n')
    shim = warm_python()
    process = subprocess.Popen([shim, script], cwd=tmp_path, env=tool_env(shim))
    _wait_for(tmp_path / 'pid')
    child = int((tmp_path / 'pid').read_text())
    process.send_signal(sig)
    assert process.wait(timeout=30) == -sig  # the shim dies of the signal, as the tool would
    end = time.monotonic() + 30
    while os.path.exists(f'/proc/{child}') and open(f'/proc/{child}/stat').read().split()[2] != 'Z':
        assert time.monotonic() < end, 'the tool outlived its shim'
        time.sleep(0.05)
