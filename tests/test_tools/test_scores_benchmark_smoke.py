"""Smoke run of tools/benchmark/scores.py with tiny sizes, and the arithmetic of its table."""
import importlib.util
import re
from pathlib import Path

import pytest

from openmixosr.evaluation.scores import score_configs

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'benchmark' / 'scores.py'


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('benchmark_scores', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_times_every_score_and_the_forward_pass(bench, capsys):
    result = bench.main(['--quick'])
    out = capsys.readouterr().out
    assert sorted(result['times']) == sorted(score_configs())
    for key, row in result['times'].items():
        assert row['fit'] > 0 and row['score'] > 0, key
        assert re.search(rf'^{key}\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+$', out, re.MULTILINE), key
    assert result['forward'] > 0
    assert result['ratio'] == pytest.approx(sum(row['score'] for row in result['times'].values()) / result['forward'])
    assert f'sum(one-pass scores) / forward = {result["ratio"]:.3f}' in out


def test_table_totals_and_goal(bench):
    times = dict(msp=dict(fit=0.001, score=0.002), knn=dict(fit=0.003, score=0.004))
    table = bench.format_table(times, forward=0.012, settings=bench.QUICK)
    assert re.search(r'^all\s+4\.0\s+6\.0\s+0\.5000$', table, re.MULTILINE)
    assert 'sum(one-pass scores) / forward = 0.500 (goal < 1: met)' in table
    assert '(fit + score) / forward = 0.833' in table
    assert 'goal < 1: MISSED' in bench.format_table(times, forward=0.005, settings=bench.QUICK)


def test_synthetic_banks_have_known_and_unknown_test_samples_and_a_working_head(bench):
    head, train, test = bench.synthetic_banks(bench.QUICK)
    assert train.features.shape == (1000, 64) and test.features.shape == (200, 64)
    assert (test.labels == -1).any() and (test.labels >= 0).any()
    assert (train.logits.argmax(axis=1) == train.labels).mean() > 0.9
