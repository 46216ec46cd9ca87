"""tools/benchmark/distill_step.py runs and reports every step kind (tiny settings)."""
import importlib.util

from tests.helpers.run_tool import REPO_ROOT


def test_distill_benchmark_quick(capsys):
    spec = importlib.util.spec_from_file_location('distill_step', REPO_ROOT / 'tools/benchmark/distill_step.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    median, floors = module.main(['--quick'])
    out = capsys.readouterr().out
    for name in ('symmetric', 'asym raw', 'asym mixed', 'asym (p_mix=0.5)', 'measured/floor'):
        assert name in out
    assert all(value > 0 for value in median.values())
    assert floors['asym mixed'] >= floors['asym raw']
