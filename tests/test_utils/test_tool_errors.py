"""A user's mistake ends a tool with one message and exit status 1; a bug keeps its traceback; --debug shows both."""
import sys

import pytest

from openmixosr.utils.tool_errors import run_tool
from tests.helpers.run_tool import run_tool as run_script


def _raising(error):
    def main():
        raise error
    return main


def test_a_mistake_is_one_message_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['train.py', 'x.py'])
    with pytest.raises(SystemExit) as stopped:
        run_tool(_raising(KeyError("'splt' is not a top-level key of this config")))
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "train.py: error: KeyError: 'splt' is not a top-level key of this config"
    assert 'Traceback' not in err and '--debug' in err


def test_a_bug_keeps_its_traceback_and_debug_shows_a_mistakes(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['train.py'])
    with pytest.raises(ZeroDivisionError):
        run_tool(_raising(ZeroDivisionError('a bug')))
    monkeypatch.setattr(sys, 'argv', ['train.py', '--debug', 'x.py'])
    with pytest.raises(ValueError, match='a mistake'):
        run_tool(_raising(ValueError('a mistake')))
    assert sys.argv == ['train.py', 'x.py']  # the tool's own parser never sees --debug


def test_a_tool_given_a_missing_config(tmp_path):
    result = run_script('train.py', tmp_path / 'no_such.py', check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.startswith('train.py: error: FileNotFoundError:') and 'no_such.py' in result.stderr
    debug = run_script('train.py', tmp_path / 'no_such.py', '--debug', check=False)
    assert debug.returncode == 1 and 'Traceback' in debug.stderr
