"""The launch scripts start the interpreter named by PYTHON (the one running the tests), not whatever `python` is on
PATH: a virtualenv's python called by path must reach torchrun / train.py with its own packages."""
import os
import stat
import subprocess

import pytest

from tests.helpers.run_tool import REPO_ROOT


def _recording_python(tmp_path):
    record = tmp_path / 'called.txt'
    fake = tmp_path / 'fake_python'
    fake.write_text(f'#!/usr/bin/env bash\necho "$@" > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake, record


@pytest.mark.parametrize('script, args, target', [
    ('dist_train.sh', ['cfg.py', '2', '--no-validate'], 'train.py'),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '2'], 'test.py'),
])
def test_dist_scripts_launch_the_python_they_are_given(tmp_path, script, args, target):
    fake, record = _recording_python(tmp_path)
    env = dict(os.environ, PYTHON=str(fake), PATH='/usr/bin:/bin')  # no python of ours on PATH
    subprocess.run(['bash', str(REPO_ROOT / 'tools' / script), *args], env=env, check=True, timeout=60)
    called = record.read_text().split()
    assert called[:2] == ['-m', 'torch.distributed.run'] and any(arg.endswith(target) for arg in called)
    assert '--launcher' in called and 'pytorch' in called
