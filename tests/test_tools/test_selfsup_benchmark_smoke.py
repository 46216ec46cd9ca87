"""Smoke run of tools/benchmark/selfsup_step.py with tiny settings."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'benchmark' / 'selfsup_step.py'


def test_quick_run_prints_every_method(capsys):
    spec = importlib.util.spec_from_file_location('benchmark_selfsup_step', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table = module.main(['--quick'])
    rows = {line.split('|')[1].strip(): line.split('|')[2:6] for line in table.splitlines()[3:]}
    assert sorted(rows) == ['AMix-C', 'AMix-I', 'MoCo v2']
    assert float(rows['MoCo v2'][1]) == 1.0
    # The pass ratio comes from the models' declared passes (moco_amix.py's "Passes per step"): 9.75F / 4F.
    for name in ('AMix-I', 'AMix-C'):
        ms, ratio, pass_ratio, over = (float(cell) for cell in rows[name])
        assert ms > 0 and pass_ratio == 2.44 and abs(over - ratio / 2.4375) < 0.01
    out = capsys.readouterr().out
    assert ('passes per step, AMix-I: online 2F+2B; momentum 1 partial F(no graph)+1F(no graph)+1F+1B(input); '
            'mix_block 1F(no graph)+1F+1B') in out
