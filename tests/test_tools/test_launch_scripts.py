"""The launch scripts start the interpreter named by PYTHON (the one running the tests), not whatever `python` is on
PATH: a virtualenv's python called by path must reach torchrun / train.py with its own packages."""
import importlib.util
import os
import stat
import subprocess

import pytest

from tests.helpers.run_tool import REPO_ROOT


#: Variables the launch scripts read; cleared so that the defaults are tested whatever the calling shell sets.
LAUNCH_VARIABLES = ('NNODES', 'NODE_RANK', 'PORT', 'MASTER_ADDR', 'PYTHONPATH')


def _launch(tmp_path, script, args, cwd=REPO_ROOT, **env_vars):
    """Run ``tools/<script>`` with PYTHON = a fake interpreter; return its arguments, one a line, and its PYTHONPATH."""
    record = tmp_path / 'called.txt'
    fake = tmp_path / 'fake_python'
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" "PYTHONPATH=$PYTHONPATH" > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {name: value for name, value in os.environ.items() if name not in LAUNCH_VARIABLES}
    env.update(PYTHON=str(fake), PATH='/usr/bin:/bin', **env_vars)  # no python of ours on PATH
    subprocess.run(['bash', os.path.relpath(REPO_ROOT / 'tools' / script, cwd), *args], cwd=cwd, env=env, check=True,
                   timeout=60)
    return record.read_text().splitlines()


@pytest.mark.parametrize('script, args, target', [
    ('dist_train.sh', ['cfg.py', '2', '--no-validate'], 'train.py'),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '2'], 'test.py'),
])
def test_dist_scripts_launch_the_python_they_are_given(tmp_path, script, args, target):
    called = _launch(tmp_path, script, args, cwd=tmp_path)  # started from elsewhere than the repository
    assert called[:2] == ['-m', 'torch.distributed.run'] and any(arg.endswith(f'tools/{target}') for arg in called)
    assert '--launcher' in called and 'pytorch' in called
    repo = called[-1].split('=', 1)[1].split(':')[0]
    assert os.path.samefile(tmp_path / repo, REPO_ROOT)  # the repository is on PYTHONPATH


def _torchrun_options(nnodes='1', node_rank='0', master_addr='127.0.0.1', nproc='2', port='29500'):
    return ['-m', 'torch.distributed.run', f'--nnodes={nnodes}', f'--node_rank={node_rank}',
            f'--master_addr={master_addr}', f'--nproc_per_node={nproc}', f'--master_port={port}']


def test_dist_train_command_line(tmp_path):
    called = _launch(tmp_path, 'dist_train.sh', ['cfg.py', '2', '--no-validate', '--cfg-options', 'a=1 b'])
    assert called == _torchrun_options() + [
        'tools/train.py', 'cfg.py', '--launcher', 'pytorch', '--no-validate', '--cfg-options', 'a=1 b',
        'PYTHONPATH=tools/..:'
    ]


def test_dist_test_command_line_with_the_environment_of_a_multi_node_run(tmp_path):
    called = _launch(tmp_path, 'dist_test.sh', ['cfg.py', 'ckpt.pth', '4', '--out', 'x.npz'], NNODES='2',
                            NODE_RANK='1', PORT='1234', MASTER_ADDR='10.0.0.1', PYTHONPATH='/extra')
    assert called == _torchrun_options('2', '1', '10.0.0.1', '4', '1234') + [
        'tools/test.py', 'cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--out', 'x.npz', 'PYTHONPATH=tools/..:/extra'
    ]


@pytest.mark.parametrize('script, args, usage', [
    ('dist_launch.sh', ['tools/train.py'], 'SCRIPT NUM_PROCESSES [SCRIPT arguments]'),
    ('dist_train.sh', [], 'CONFIG NUM_PROCESSES [train.py options]'),
    ('dist_test.sh', ['c.py', 'x.pth'], 'CONFIG CHECKPOINT NUM_PROCESSES [test.py options]'),
    ('slurm_train.sh', ['gpu'], 'PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]'),
])
def test_a_launch_script_without_its_arguments_prints_its_usage(tmp_path, script, args, usage):
    result = subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHON=str(tmp_path / 'never_called')))
    assert result.returncode == 2 and result.stderr == f'usage: bash tools/{script} {usage}\n'  # not `$1: unbound`


# --- the options train.py and test.py share (openmixosr.utils.config.parse_tool_args) ---


@pytest.fixture
def no_local_rank(monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', 'unset')  # so that teardown restores the variable the tools set
    monkeypatch.delenv('LOCAL_RANK')


def _tool_module(name):
    spec = importlib.util.spec_from_file_location(f'tools_{name}', REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('tool, positional', [('train', ['cfg.py']), ('test', ['cfg.py', 'ckpt.pth'])])
def test_tools_parse_the_shared_launch_options(no_local_rank, tool, positional):
    parse_args = _tool_module(tool).parse_args
    args = parse_args([*positional, '--launcher', 'pytorch', '--local-rank', '3', '--cfg-options', 'split=2'])
    assert (args.launcher, args.local_rank, args.cfg_options) == ('pytorch', 3, {'split': 2})
    assert os.environ['LOCAL_RANK'] == '3'
    defaults = parse_args(positional)
    assert (defaults.launcher, defaults.cfg_options) == ('none', None)
    assert os.environ['LOCAL_RANK'] == '3'  # a LOCAL_RANK set by the launcher (torchrun) is kept
    with pytest.raises(SystemExit):
        parse_args([*positional, '--launcher', 'torchrun'])

