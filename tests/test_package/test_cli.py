"""The ``openmixosr`` command and the ``openmixosr::NAME`` configs in this checkout; LICENSE and CITATION.cff."""
import subprocess
import sys

import pytest
import yaml

from openmixosr import cli
from openmixosr.utils.config import configs_dir, load_config, resolve_config
from tests.helpers.run_tool import REPO_ROOT


def test_every_command_runs_a_tool_of_the_checkout():
    assert cli.tools_dir() == str(REPO_ROOT / 'tools')
    for name, (script, text) in cli.COMMANDS.items():
        assert (REPO_ROOT / 'tools' / script).is_file(), name
        assert text in cli.usage()


def test_usage_and_an_unknown_command(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(['--help'])
    assert stopped.value.code == 0 and 'usage: openmixosr COMMAND' in capsys.readouterr().out
    with pytest.raises(SystemExit, match="openmixosr: no command 'tran'"):
        cli.main(['tran'])


def test_the_console_command_is_the_tool():
    result = subprocess.run([sys.executable, '-m', 'openmixosr.cli', 'train', '--help'], capture_output=True,
                            text=True, cwd='/', timeout=300)
    assert result.returncode == 0 and '--run-record' in result.stdout and 'openmixosr::NAME' in result.stdout


def test_shipped_configs_by_name():
    assert configs_dir() == str(REPO_ROOT / 'configs')
    assert resolve_config('openmixosr::asym/r18_digits.py') == str(REPO_ROOT / 'configs/asym/r18_digits.py')
    assert resolve_config('configs/x.py') == 'configs/x.py'
    assert load_config('openmixosr::asym/r18_digits.py').model.type == 'AsymmetricDistiller'
    with pytest.raises(FileNotFoundError, match='OpenMixOSR ships no such config'):
        resolve_config('openmixosr::asym/r18_digitz.py')


def test_license_and_citation():
    license_text = (REPO_ROOT / 'LICENSE').read_text()
    assert 'Apache License' in license_text and 'Version 2.0' in license_text
    citation = yaml.safe_load((REPO_ROOT / 'CITATION.cff').read_text())
    assert citation['cff-version'] == '1.2.0' and citation['license'] == 'Apache-2.0'
    titles = [reference['title'] for reference in citation['references']]
    assert any(title.startswith('AutoMix: Unveiling the Power of Mixup') for title in titles)
    assert any('Automatic Mixup' in title for title in titles)
    assert any(title.startswith('Revealing the Two Sides of Data Augmentation') for title in titles)
