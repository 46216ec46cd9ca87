"""Importing the package does not print mmcv-lite's MultiScaleDeformableAttention warning (and nothing else is
hidden)."""
import subprocess
import sys

from tests.helpers.run_tool import REPO_ROOT


def test_import_prints_no_mmcv_lite_warning():
    code = 'import warnings; import openmixosr.models; warnings.warn("still shown")'
    result = subprocess.run([sys.executable, '-W', 'default', '-c', code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    assert 'MultiScaleDeformableAttention' not in result.stderr
    assert 'still shown' in result.stderr  # only that one warning is filtered
