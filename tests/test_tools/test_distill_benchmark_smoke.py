"""tools/benchmark/distill_step.py runs and reports every step kind (tiny settings); its floor prices declared passes."""
import importlib.util

import pytest

from openmixosr.models.utils.step_passes import NetworkPasses, StepPasses
from tests.helpers.run_tool import REPO_ROOT


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('distill_step', REPO_ROOT / 'tools/benchmark/distill_step.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_distill_benchmark_quick(bench, capsys):
    median, floors = bench.main(['--quick'])
    out = capsys.readouterr().out
    for name in ('symmetric', 'asym raw', 'asym mixed', 'asym (p_mix=0.5)', 'measured/floor'):
        assert name in out
    assert all(value > 0 for value in median.values())
    # The declared passes (asymmetric_distiller.py's "Passes per step"): one teacher pass in a raw step and in the
    # symmetric (no CMI) mixed step, two in the asymmetric mixed step; one student step each.
    assert floors['symmetric'] == floors['asym raw'] == pytest.approx(median['T(N)'] + median['S'])
    assert floors['asym mixed'] == pytest.approx(2 * median['T(N)'] + median['S'])
    assert 'passes, asym mixed: teacher 2F(no graph); student 1F+1B; 1 optimizer step' in out


def test_floor_refuses_a_step_its_primitives_do_not_price(bench):
    student = NetworkPasses(forwards=1, backwards=1)
    three = StepPasses(networks=dict(teacher=NetworkPasses(forwards_no_graph=3), student=student))
    assert bench.floor_ms(three, teacher_ms=2.0, student_ms=5.0) == 11.0
    trained_teacher = StepPasses(networks=dict(teacher=NetworkPasses(forwards=1, backwards=1), student=student))
    with pytest.raises(ValueError, match='do not price'):
        bench.floor_ms(trained_teacher, teacher_ms=2.0, student_ms=5.0)
