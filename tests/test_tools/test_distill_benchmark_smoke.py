"""tools/benchmark/distill_step.py runs and reports every step kind, CutMix and learned masks (tiny settings); its floor
prices the declared passes."""
import importlib.util

import pytest

from openmixosr.models.utils.step_passes import NetworkPasses, StepPasses
from tests.helpers.run_tool import REPO_ROOT

STUDENT = NetworkPasses(forwards=1, backwards=1)


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('distill_step', REPO_ROOT / 'tools/benchmark/distill_step.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_distill_benchmark_quick(bench, capsys):
    result = bench.main(['--quick'])
    median, floors, memory = result['median'], result['floors'], result['memory']
    out = capsys.readouterr().out
    rows = ('symmetric', 'asym raw', 'asym mixed', 'learned mixed', 'learned mixed (indep.)', 'asym (p_mix=0.5)',
            'learned (p_mix=0.5)')
    for name in rows + ('measured/floor', '/ CutMix mixed'):
        assert name in out
    assert all(value > 0 for value in median.values())
    # The declared passes (AsymmetricDistiller.step_passes): one teacher pass in a raw step and in the symmetric (no
    # CMI) mixed step, two in the asymmetric mixed step; one student step each.
    assert floors['symmetric'] == floors['asym raw'] == pytest.approx(median['T(N)'] + median['S'])
    assert floors['asym mixed'] == pytest.approx(2 * median['T(N)'] + median['S'])
    assert 'passes, asym mixed: teacher 2F(no graph); student 1F+1B; 1 optimizer step' in out
    # Learned masks, same draw: T(x) (with the stage-3 features), T(x_m) with graph + input backward, one trained
    # draw of the Mix Block, one student step; the independent draw adds a teacher pass and a draw without graph.
    same = median['T(N)'] + median['T(N)+B(input)'] + median['M'] + median['S']
    assert floors['learned mixed'] == pytest.approx(same)
    assert floors['learned mixed (indep.)'] == pytest.approx(same + median['T(N)'] + median['M(no graph)'])
    assert floors['learned (p_mix=0.5)'] == pytest.approx((floors['asym raw'] + same) / 2)
    assert median['learned (p_mix=0.5)'] == pytest.approx((median['asym raw'] + median['learned mixed']) / 2)
    assert 'passes, learned mixed: teacher 1F(no graph)+1F+1B(input); mix_block 1F+1B; student 1F+1B' in out
    # --quick measures the step's memory in this process, for every step row
    assert set(memory) == set(bench.STEPS) and all(row['step'] >= 0 for row in memory.values())


def test_memory_worker_builds_one_step_and_measures_it(bench):
    result = bench.memory_worker(step='learned mixed (indep.)', quick=True, batch_size=4, threads=1, warmup=1)
    assert set(result) == {'step'} and result['step'] >= 0


def test_learned_mixer_takes_the_teachers_stage_3(bench):
    model = bench.build_distiller(True, **bench.MODEL_SETTINGS['learned'])
    assert type(model.mixer).__name__ == 'LearnedMaskMixer' and model.mixer.trainable
    stage4 = model.teacher.head.in_channels
    assert model.mixer.mix_block.in_channels == stage4 // 2 == 128  # ResNet-50 at width 8: 128 -> 256 channels
    assert '_delete_' not in bench.learned_mixer_config()


def test_floor_prices_each_declared_pass(bench):
    primitives = {'T(N)': 2.0, 'T(N)+B(input)': 7.0, 'T(N, layer3)': 1.5, 'M': 0.5, 'M(no graph)': 0.25, 'S': 5.0}
    three = StepPasses(networks=dict(teacher=NetworkPasses(forwards_no_graph=3), student=STUDENT))
    assert bench.floor_ms(three, primitives) == 11.0
    learned = StepPasses(networks=dict(
        teacher=NetworkPasses(forwards=1, input_backwards=1, partial_forwards_no_graph=1),
        mix_block=NetworkPasses(forwards=1, backwards=1, forwards_no_graph=1), student=STUDENT))
    assert bench.floor_ms(learned, primitives) == 7.0 + 1.5 + 0.5 + 0.25 + 5.0


@pytest.mark.parametrize('networks', [
    dict(teacher=NetworkPasses(forwards=1, backwards=1), student=STUDENT),  # a trained teacher
    dict(teacher=NetworkPasses(forwards_no_graph=1), student=NetworkPasses(forwards=2, backwards=2)),
    dict(teacher=NetworkPasses(), mix_block=NetworkPasses(forwards=1, input_backwards=1), student=STUDENT),
    dict(teacher=NetworkPasses(), online=NetworkPasses(forwards=1, backwards=1), student=STUDENT),
])
def test_floor_refuses_a_step_its_primitives_do_not_price(bench, networks):
    with pytest.raises(ValueError, match='do not price'):
        bench.floor_ms(StepPasses(networks=networks), {'T(N)': 1.0, 'S': 1.0})


def test_floor_names_an_untimed_primitive(bench):
    partial = StepPasses(networks=dict(teacher=NetworkPasses(partial_forwards_no_graph=1), student=STUDENT))
    with pytest.raises(ValueError, match=r"\['T\(N, layer3\)'\] were not timed"):
        bench.floor_ms(partial, {'T(N)': 1.0, 'S': 1.0})
