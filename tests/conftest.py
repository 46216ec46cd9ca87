"""Shared test setup: register every component once and point at the repository root."""
from pathlib import Path

import pytest

from openmixosr.utils import register_all_modules

REPO_ROOT = Path(__file__).resolve().parents[1]

register_all_modules(init_default_scope=True)  # as in a run: configs set default_scope


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT
