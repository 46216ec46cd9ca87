"""The linter runs with the test suite: ``ruff check`` over the repository, with the rules of ruff.toml.

ruff is a test requirement (requirements/tests.txt, ``pip install -e ".[tests]"``), so ``python -m pytest tests``
(the README's test command, which .ci/run runs) lints as well; a missing ruff fails here rather than skipping.
"""
import importlib.util
import subprocess
import sys

import pytest

from tests.helpers.run_tool import REPO_ROOT


def test_ruff_finds_nothing():
    if importlib.util.find_spec('ruff') is None:
        pytest.fail('ruff is not installed: it is a test requirement, install them with `pip install -e ".[tests]"`.')
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', '.'], cwd=REPO_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, ('`ruff check .` found problems (rules in ruff.toml; `python -m ruff check --fix .` '
                                    f'fixes some):\n{result.stdout}{result.stderr}')
