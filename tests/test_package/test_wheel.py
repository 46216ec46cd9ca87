"""OpenMixOSR as an installed package: a wheel built from the checkout, installed into a fresh virtualenv outside it,
trains and tests the digits from its console command, with a user config that inherits a shipped one
(``_base_ = 'openmixosr::...'``).

The virtualenv sees this interpreter's site-packages (``--system-site-packages``) for torch and the OpenMMLab
libraries, so nothing is downloaded; the package itself comes from the wheel alone (checked).
"""
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest
from mmengine.config import Config

from tests.helpers.run_tool import REPO_ROOT

USER_CONFIG = """_base_ = 'openmixosr::baselines/ce_r18w16_digits.py'
train_cfg = dict(max_epochs=2)
train_dataloader = dict(dataset=dict(indices=128))
"""


def _run(command, cwd, timeout=600):
    env = {key: value for key, value in os.environ.items() if key not in ('PYTHONPATH', 'PYTHONHOME')}
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f'{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}'
    return result


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A wheel built from the checkout (sdist first, then the wheel from the sdist: what PyPI users get) and a
    virtualenv outside the checkout with it installed; ``(bin dir, work dir, seconds to build and install)``."""
    root = tmp_path_factory.mktemp('package')
    start = time.perf_counter()
    _run([sys.executable, '-m', 'build', '--no-isolation', '--outdir', root / 'dist', REPO_ROOT], cwd=root)
    [wheel] = (root / 'dist').glob('openmixosr-*.whl')
    # No pip of its own (ensurepip takes seconds): this interpreter's pip installs into it (`pip --python`).
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root / 'venv')
    bin_dir = root / 'venv' / 'bin'
    _run([sys.executable, '-m', 'pip', '--python', bin_dir / 'python', 'install', '--quiet', '--no-deps', '--no-index',
          wheel], cwd=root)
    work = root / 'elsewhere'
    work.mkdir()
    return bin_dir, work, time.perf_counter() - start


def test_the_wheel_ships_configs_tools_license_and_the_command(installed):
    bin_dir, work, _ = installed
    probe = _run([bin_dir / 'python', '-c', (
        'import os, openmixosr; from openmixosr.utils.config import configs_dir; from openmixosr.cli import tools_dir; '
        'print(openmixosr.__file__); print(configs_dir()); print(tools_dir())')], cwd=work).stdout.split()
    package = Path(probe[0]).parent
    assert str(package).startswith(str(bin_dir.parent)), 'the package must come from the wheel, not the checkout'
    assert Path(probe[1]) == package / '.mim' / 'configs' and Path(probe[2]) == package / '.mim' / 'tools'
    shipped = {str(path.relative_to(REPO_ROOT / 'configs')) for path in (REPO_ROOT / 'configs').rglob('*.py')}
    assert {str(path.relative_to(package / '.mim' / 'configs')) for path in
            (package / '.mim' / 'configs').rglob('*.py')} == shipped
    assert (package / 'datasets' / 'ssb_splits' / 'cub_ssb_splits.json').is_file()
    assert os.access(package / '.mim' / 'tools' / 'dist_train.sh', os.X_OK)
    assert list(bin_dir.parent.glob('lib/python*/site-packages/openmixosr-*.dist-info/licenses/LICENSE'))
    usage = _run([bin_dir / 'openmixosr', '--help'], cwd=work).stdout
    assert 'openmixosr COMMAND' in usage and 'train' in usage and 'table' in usage


def test_a_user_config_inheriting_a_shipped_one_trains_and_tests_from_the_console_command(installed):
    # Two fresh processes of the installed package (each costs seconds of imports): the user's config trains, and the
    # shipped config it inherits, named `openmixosr::NAME` on the command line, tests the checkpoint.
    bin_dir, work, seconds = installed
    print(f'build + install: {seconds:.1f} s')
    (work / 'my_digits.py').write_text(USER_CONFIG)
    _run([bin_dir / 'openmixosr', 'train', 'my_digits.py', '--work-dir', 'run'], cwd=work)
    assert (work / 'run' / 'epoch_2.pth').is_file() and not (work / 'run' / 'epoch_3.pth').exists()
    merged = Config.fromfile(work / 'run' / 'my_digits.py')  # the run's config as MMEngine dumped it
    assert merged.model.type == 'OpenSetClassifier' and merged.train_dataloader.dataset.indices == 128
    tested = _run([bin_dir / 'openmixosr', 'test', 'openmixosr::baselines/ce_r18w16_digits.py', 'run/epoch_2.pth',
                   '--work-dir', 'test'], cwd=work)
    assert 'Open-set results: accuracy' in tested.stdout + tested.stderr
