"""Smoke run of tools/benchmark/train_step.py with tiny settings, and the arithmetic behind its table."""
import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'benchmark' / 'train_step.py'


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('benchmark_train_step', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(text, names):
    """The main-table lines, keyed by method name."""
    return {name: line for line in text.splitlines() for name in names if re.match(rf'{name}\s+q |{name}\s+k ', line)}


def test_quick_run_prints_every_method(bench, capsys):
    result = bench.main(['--quick'])
    out = capsys.readouterr().out
    names = [bench.NAMES[method] for method in bench.METHODS]
    rows = table_rows(out, names)
    assert sorted(rows) == sorted(names), out
    for method in bench.METHODS:
        row = result['rows'][method]
        assert row['ms'] > 0 and row['floor_ms'] > 0
        assert row['memory']['state'] > 0 and row['memory']['peak'] >= row['memory']['state']
    # CutMix is the reference of the ratios; AutoMix keeps a second copy of the network (k), so more state.
    assert result['rows']['cutmix']['ratio'] == pytest.approx(1.0)
    assert result['rows']['cutmix']['floor_ratio'] == pytest.approx(1.0)
    assert result['rows']['automix']['memory']['state'] > result['rows']['cutmix']['memory']['state']
    assert 'AutoMix  / CutMix time' in out and 'peak memory' in out


def test_quick_fast_run_names_the_fastest_variant(bench, capsys):
    result = bench.main(['--quick', '--fast', '--methods', 'cutmix', 'automix', '--memory', 'off'])
    out = capsys.readouterr().out
    assert result['fastest'] in bench.VARIANTS
    assert f'Fastest overall: {result["fastest"]}' in out
    for variant in bench.VARIANTS:
        for method in ('cutmix', 'automix'):
            assert result['medians'][f'{method}/{variant}/step'] > 0


def test_floors_follow_the_pass_count(bench):
    primitives = dict(a=10.0, b=3.0, c=7.0, d=1.0, e=0.5, f_automix=0.2, f_amix=0.4)
    floors = bench.floors(primitives, ['ce', 'cutmix', 'automix', 'amix'])
    assert floors['ce'] == floors['cutmix'] == 11.0
    assert floors['automix'] == pytest.approx(3 + 7 + 20 + 1 + 0.5 + 0.2)
    assert floors['amix'] == pytest.approx(3 + 7 + 20 + 1 + 0.5 + 0.4)
    assert bench.floors(primitives, ['automix'], with_ema=False)['automix'] == pytest.approx(31.2)


def test_time_interleaved_runs_round_robin_and_takes_the_median(bench):
    calls = []
    durations = iter([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 4.0, 6.0])

    def task(name):
        def run():
            calls.append(name)
            return dict(step=next(durations))
        return run

    medians = bench.time_interleaved(dict(x=task('x'), y=task('y')), rounds=3, warmup=1)
    assert calls == ['x', 'y'] * 4
    assert medians == {'x/step': 7.0, 'y/step': 3.0}  # warm-up (5, 1) dropped: median(9, 7, 4), median(3, 2, 6)
