"""Smoke run of tools/benchmark/train_step.py with tiny settings, and the arithmetic behind its table."""
import importlib.util
import re
from pathlib import Path

import pytest

from openmixosr.models.utils.step_passes import NetworkPasses, StepPasses

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'benchmark' / 'train_step.py'


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('benchmark_train_step', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CLASSIFIER = StepPasses(networks=dict(online=NetworkPasses(forwards=1, backwards=1)))
AUTOMIX = StepPasses(  # automix.py's "Passes per step"
    networks=dict(online=NetworkPasses(forwards=2, backwards=2),
                  momentum=NetworkPasses(partial_forwards_no_graph=1, forwards=1, input_backwards=1),
                  mix_block=NetworkPasses(forwards=1, forwards_no_graph=1, backwards=1)),
    momentum_updates=1)


def table_rows(text, names):
    """The main-table lines (name, then the median ms), keyed by method name."""
    return {name: line for line in text.splitlines() for name in names if re.match(rf'{name}\s+[0-9.]+ ', line)}


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
    # The passes come from the models and match their docstrings ("Passes per step"): 3F for CutMix, 8.75F for
    # AutoMix and AMix (2.92x).
    passes = result['passes']
    assert passes['ce'] == passes['cutmix'] == CLASSIFIER
    assert passes['automix'] == passes['amix'] == AUTOMIX
    assert 'AutoMix  online 2F+2B; momentum 1 partial F(no graph)+1F+1B(input)' in out
    assert '(8.75F, 2.92x CutMix)' in out


def test_quick_fast_run_names_the_fastest_variant(bench, capsys):
    result = bench.main(['--quick', '--fast', '--methods', 'cutmix', 'automix', '--memory', 'off'])
    out = capsys.readouterr().out
    assert result['fastest'] in bench.VARIANTS
    assert f'Fastest overall: {result["fastest"]}' in out
    for variant in bench.VARIANTS:
        for method in ('cutmix', 'automix'):
            assert result['medians'][f'{method}/{variant}'] > 0


def test_memory_subprocess_measures_a_step_in_a_fresh_process(bench):
    settings = bench.Settings(batch_size=4, image_size=16, width=8, threads=1, warmup=1)
    memory = bench.measure_all_memory(['cutmix'], settings, 'subprocess', benches={})['cutmix']
    assert memory['state'] > 0 and memory['step'] > 0
    assert memory['peak'] == pytest.approx(memory['state'] + memory['step'])
    assert memory['process'] > 100  # the whole interpreter with torch, more than the step's tensors
    assert memory['process'] > memory['peak']


def test_floors_price_each_declared_pass(bench):
    primitives = dict(a=10.0, b=3.0, c=7.0, d=1.0, e=0.5, f_automix=0.2, f_amix=0.4)
    floors = bench.floors(primitives, dict(ce=CLASSIFIER, cutmix=CLASSIFIER, automix=AUTOMIX, amix=AUTOMIX))
    assert floors['ce'] == floors['cutmix'] == 11.0
    assert floors['automix'] == pytest.approx(3 + 7 + 20 + 1 + 0.5 + 0.2)
    assert floors['amix'] == pytest.approx(3 + 7 + 20 + 1 + 0.5 + 0.4)
    assert bench.floors(primitives, dict(automix=AUTOMIX), with_ema=False)['automix'] == pytest.approx(31.2)
    twice = StepPasses(networks=dict(online=NetworkPasses(forwards=2, backwards=2)), optimizer_steps=2)
    assert bench.floor(twice, primitives, 'ce') == 22.0


@pytest.mark.parametrize('network', [
    dict(online=NetworkPasses(forwards=1, forwards_no_graph=1, backwards=1)),  # no primitive for a no-grad forward
    dict(online=NetworkPasses(forwards=2, backwards=1)),  # a forward with graph that is not back-propagated
    dict(online=NetworkPasses(forwards=1, backwards=1), mix_block=NetworkPasses(forwards=1, backwards=1)),
])
def test_a_pass_without_primitive_stops_the_floor(bench, network):
    primitives = dict(a=10.0, b=3.0, c=7.0, d=1.0, e=0.5, f_automix=0.2)
    with pytest.raises(ValueError):
        bench.floor(StepPasses(networks=network), primitives, 'automix')
