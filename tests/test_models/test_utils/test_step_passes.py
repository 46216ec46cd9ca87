"""The pass-count declaration: validation, cost in forward-equivalents, notation, and how models are read."""
import pytest

from openmixosr.models.utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses, step_passes_of

AUTOMIX_LIKE = StepPasses(
    networks=dict(online=NetworkPasses(forwards=2, backwards=2),
                  momentum=NetworkPasses(partial_forwards_no_graph=1, forwards=1, input_backwards=1),
                  mix_block=NetworkPasses(forwards=1, forwards_no_graph=1, backwards=1)),
    momentum_updates=1)


@pytest.mark.parametrize('counts', [dict(forwards=-1), dict(forwards=1, backwards=2),
                                    dict(forwards=1, backwards=1, input_backwards=1)])
def test_network_passes_reject_negative_counts_and_backwards_without_graph(counts):
    with pytest.raises(ValueError):
        NetworkPasses(**counts)


def test_step_passes_reject_negative_updates():
    with pytest.raises(ValueError, match='optimizer_steps'):
        StepPasses(networks={}, optimizer_steps=-1)


def test_forward_equivalents_count_a_backward_as_two_forwards():
    # The train_step docstring's arithmetic: CutMix 3F; AutoMix k 3/4 + 1 + 1, q 2 + 2 x 2 = 8.75F.
    classifier = StepPasses(networks=dict(online=NetworkPasses(forwards=1, backwards=1)))
    assert classifier.forward_equivalents(['online', 'momentum'], partial_forward=0.75) == 3.0
    assert AUTOMIX_LIKE.forward_equivalents(['online', 'momentum'], partial_forward=0.75) == 8.75
    assert AUTOMIX_LIKE.forward_equivalents(['online', 'momentum'], partial_forward=0.5) == 8.5
    assert AUTOMIX_LIKE.forward_equivalents(['mix_block'], partial_forward=0.75) == 4.0


def test_describe():
    assert AUTOMIX_LIKE.describe() == ('online 2F+2B; momentum 1 partial F(no graph)+1F+1B(input); '
                                       'mix_block 1F(no graph)+1F+1B; 1 optimizer step; 1 EMA update')
    assert NetworkPasses().describe() == 'none'


def test_a_declared_step_is_read_from_the_model():

    class Declared:

        def step_passes(self):
            return {SINGLE_STEP: AUTOMIX_LIKE}

    assert step_passes_of(Declared()) == {SINGLE_STEP: AUTOMIX_LIKE}


def test_a_model_without_declaration_is_refused():

    class Undeclared:
        pass

    with pytest.raises(TypeError, match='Undeclared declares no step_passes'):
        step_passes_of(Undeclared())
