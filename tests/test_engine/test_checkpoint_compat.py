"""Whether a checkpoint fits a model, and which of its weights a classifier takes: what the model that wrote it
records (``evaluated_weights``), never a guess from key names."""
import pytest
import torch
from mmengine.config import Config

from openmixosr.engine import CheckpointMismatchError
from openmixosr.engine.checkpoint_compat import (check_state_dict, classifier_weights_note, known_classes_mismatch,
                                                 select_weights, unverified_classes_note)
from openmixosr.models.contracts import OWN_WEIGHTS, EvaluatedWeights
from openmixosr.registry import MODELS
from tests.helpers.run_tool import REPO_ROOT

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
AUTOMIX = REPO_ROOT / 'configs/automix/automix_r18w16_digits.py'
ASYM = REPO_ROOT / 'configs/asym/r18_digits.py'
MOCO = REPO_ROOT / 'configs/selfsup/mocov2_r18w16_digits.py'


def _model(config, **changes):
    cfg = Config.fromfile(config)
    cfg.model.update(changes)
    return MODELS.build(cfg.model)


def _meta(model):
    """What OpenMixOSRRunner.save_checkpoint records about the model."""
    weights = model.evaluated_weights() if isinstance(model, EvaluatedWeights) else None
    return dict(model_type=type(model).__name__, evaluated_weights=weights)


@pytest.fixture(scope='module')
def automix():
    """An AutoMix model whose momentum network k differs from its online network q."""
    torch.manual_seed(0)
    model = _model(AUTOMIX)
    with torch.no_grad():
        for param in model.momentum_encoder.module.parameters():
            param.add_(0.05 * torch.randn_like(param))
    return model.eval()


def test_every_model_states_which_weights_a_test_evaluates(automix):
    with pytest.warns(UserWarning, match='keeps its initial weights'):
        asym = _model(ASYM, teacher_checkpoint=None)
    assert asym.evaluated_weights() == {'': 'student.'}
    assert _model(CE).evaluated_weights() == OWN_WEIGHTS
    assert automix.evaluated_weights() == {'backbone.': 'momentum_encoder.module.0.',
                                           'neck.': 'momentum_encoder.module.1.', 'head.': 'momentum_encoder.module.2.'}
    assert not isinstance(_model(MOCO), EvaluatedWeights)  # self-supervised: no classifier to evaluate


def test_automix_checkpoint_gives_a_classifier_its_momentum_network(automix):
    classifier = _model(CE).eval()
    meta = _meta(automix)
    assert classifier_weights_note(meta, classifier.evaluated_weights()).startswith('The AutoMix checkpoint gives')
    classifier.load_state_dict(select_weights(automix.state_dict(), meta['evaluated_weights']), strict=True)
    inputs = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        expected = automix.momentum_encoder.module(inputs)  # what AutoMix's predict() uses by default
        online = automix.online_network()(inputs)
        assert torch.allclose(classifier(inputs, mode='tensor'), expected)
    assert not torch.allclose(expected, online)  # k differs from q: the test tells them apart


def test_a_model_evaluating_q_records_q(automix):
    online = _model(AUTOMIX, eval_network='online')
    weights = online.evaluated_weights()
    assert weights == {'backbone.': 'backbone.', 'neck.': 'neck.', 'head.': 'head.'}
    assert torch.equal(select_weights(automix.state_dict(), weights)['head.fc.weight'],
                       automix.state_dict()['head.fc.weight'])


def test_weights_are_taken_only_for_a_plain_classifier_from_a_recording_checkpoint(automix):
    assert classifier_weights_note(_meta(automix), automix.evaluated_weights()) is None  # resuming AutoMix itself
    assert classifier_weights_note({}, OWN_WEIGHTS) is None  # an old checkpoint: nothing recorded, nothing guessed
    assert classifier_weights_note(_meta(_model(CE)), OWN_WEIGHTS) is None
    with pytest.raises(CheckpointMismatchError, match=r"Prefix 'teacher\.': the checkpoint has no entry"):
        select_weights(automix.state_dict(), {'': 'teacher.'})


def test_distiller_checkpoint_into_a_classifier_says_what_to_do():
    with pytest.warns(UserWarning):
        asym = _model(ASYM, teacher_checkpoint=None)
    with pytest.raises(CheckpointMismatchError) as error:
        check_state_dict(_model(CE), asym.state_dict(), 'distilled.pth',
                         dict(experiment_name='r18_digits_1_2', **_meta(asym)))
    message = str(error.value)
    assert 'distilled.pth' in message and 'written by AsymmetricDistiller' in message
    assert '122 of the model' in message and 'student: 122' in message
    assert '--no-strict' in message and 'r18_digits_1_2' in message
    with pytest.raises(CheckpointMismatchError, match='records no model'):
        check_state_dict(_model(CE), asym.state_dict(), 'plain.pth', {})
    with pytest.raises(CheckpointMismatchError, match='by linear evaluation'):
        check_state_dict(_model(CE), _model(MOCO).state_dict(), 'moco.pth', _meta(_model(MOCO)))
    check_state_dict(_model(CE), select_weights(asym.state_dict(), {'': 'student.'}), 'distilled.pth')  # fits


def test_other_backbone_reports_the_shapes():
    with pytest.raises(CheckpointMismatchError, match=r'differ in shape: backbone\.layer1\.0\.conv1\.weight'):
        check_state_dict(_model(CE), _model(REPO_ROOT / 'configs/baselines/ce_r50w16_digits.py').state_dict(), 'x')


def test_known_classes_mismatch():
    split0, split1 = dict(classes=('2', '4', '5', '9', '8', '3')), dict(classes=('3', '2', '6', '9', '4', '0'))
    assert known_classes_mismatch(split0, dict(split0), 'Checkpoint x', 'the test set') is None
    assert known_classes_mismatch(None, split0, 'Checkpoint x', 'the test set') is None  # nothing recorded
    message = known_classes_mismatch(split0, split1, 'Checkpoint x', 'the test set')
    assert "['2', '4', '5', '9', '8', '3']" in message and '2 of its 6 known classes differ' in message
    reordered = known_classes_mismatch(split0, dict(classes=tuple(sorted(split0['classes']))), 'x', 'y')
    assert 'another label order' in reordered


def test_unverified_classes_note():
    split1 = dict(classes=('3', '2', '6', '9', '4', '0'), benchmark='mnist', osr_split=1)
    note = unverified_classes_note(None, split1, 'Checkpoint x.pth', 'the test set of this config')
    assert note.startswith('Checkpoint x.pth records no known classes') and \
        "those of the test set of this config (mnist split 1, 6 classes ['3', '2', '6', '9', '4', '0'])" in note
    assert (unverified_classes_note({}, split1, 'x', 'y') ==
            unverified_classes_note(dict(classes=None), split1, 'x', 'y'))
    assert unverified_classes_note(dict(classes=('3', )), split1, 'x', 'y') is None  # recorded: compared instead
    assert unverified_classes_note(None, None, 'x', 'y') is None  # nothing to compare with
    many = unverified_classes_note(None, dict(classes=tuple(map(str, range(200)))), 'x', 'the training set')
    assert "(200 classes ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '...'])" in many


def _old_keys(state_dict):
    """A state dict as AutoMix / AMix / MoCo v2 AMix wrote it before the Mix Block moved into the mixer."""
    return {key.replace('mixer.mix_block.', 'mix_block.', 1): value for key, value in state_dict.items()}


def test_an_old_automix_checkpoint_loads_through_the_one_key_map(automix, tmp_path):
    from openmixosr.engine import load_checked_checkpoint
    from openmixosr.utils.checkpoint_io import rename_old_keys
    old = _old_keys(automix.state_dict())
    assert any(key.startswith('mix_block.') for key in old) and not any(key.startswith('mixer.') for key in old)
    assert list(rename_old_keys(old)) == list(automix.state_dict())  # renamed in place, order kept
    torch.save({'state_dict': old, 'meta': {}}, tmp_path / 'old_automix.pth')
    torch.manual_seed(1)
    fresh = _model(AUTOMIX)
    load_checked_checkpoint(fresh, str(tmp_path / 'old_automix.pth'), check_classes=lambda meta: None)
    for key, value in automix.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_the_key_map_leaves_other_checkpoints_alone():
    from openmixosr.utils.checkpoint_io import rename_old_keys
    # a top-level mix_block without a momentum encoder is not an old AutoMix checkpoint: nothing to rename
    plain = {'backbone.conv1.weight': torch.zeros(1), 'mix_block.value.weight': torch.zeros(1)}
    assert rename_old_keys(plain) == plain
    new = {'mixer.mix_block.value.weight': torch.zeros(1), 'momentum_encoder.steps': torch.zeros(())}
    assert rename_old_keys(new) == new
