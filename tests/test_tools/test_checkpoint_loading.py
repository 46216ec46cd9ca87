"""tools/test.py and training with a teacher load checkpoints strictly and compare their known classes.

The probes (a distiller checkpoint scored through a classifier config, an AutoMix checkpoint through a
classifier config, a split-1 test of a split-0 checkpoint, a teacher of another split) on the embedded digits, with
checkpoints made here (no training needed: what is tested is which weights are loaded, and when a run refuses).
"""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MessageHub

from openmixosr.registry import DATASETS, MODELS
from tests.helpers.run_tool import REPO_ROOT, run_tool

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
CE_R50 = REPO_ROOT / 'configs/baselines/ce_r50w16_digits.py'
AUTOMIX = REPO_ROOT / 'configs/automix/automix_r18w16_digits.py'
ASYM = REPO_ROOT / 'configs/asym/r18_digits.py'


def _model(config, **changes):
    cfg = Config.fromfile(config)
    return MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor, **changes))


def _split0_meta():
    cfg = Config.fromfile(CE).train_dataloader.dataset
    cfg.pipeline = []
    return dict(dataset_meta=DATASETS.build(cfg).metainfo, experiment_name='made_by_the_test')


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """Split-0 checkpoints: a classifier, a ResNet-50 teacher, a distiller, and an AutoMix model whose k != q."""
    torch.manual_seed(0)
    root, meta = tmp_path_factory.mktemp('checkpoints'), _split0_meta()
    automix = _model(AUTOMIX)
    with torch.no_grad():
        for param in automix.momentum_encoder.module.parameters():
            param.add_(0.05 * torch.randn_like(param))
    with pytest.warns(UserWarning, match='keeps its initial weights'):
        asym = _model(ASYM, teacher_checkpoint=None)
    models = dict(ce=_model(CE), r50=_model(CE_R50), asym=asym, automix=automix)
    paths = {}
    for name, model in models.items():
        paths[name] = root / f'{name}.pth'
        # what OpenMixOSRRunner.save_checkpoint records about the model that wrote it
        written_by = dict(meta, model_type=type(model).__name__, evaluated_weights=model.evaluated_weights())
        torch.save(dict(meta=written_by, state_dict=model.state_dict()), paths[name])
    paths['automix_model'] = automix
    # The classifier as MMEngine's own CheckpointHook writes it: a message hub of HistoryBuffer objects.
    hub = MessageHub.get_instance('test_checkpoint_loading')
    hub.update_scalar('train/loss', 0.5)
    paths['ce_mmengine'] = root / 'ce_mmengine.pth'
    torch.save(dict(meta=meta, state_dict=models['ce'].state_dict(), message_hub=hub.state_dict()),
               paths['ce_mmengine'])
    paths['ce_model'] = models['ce']
    return paths


def _failed(result):
    assert result.returncode != 0, result.stdout[-2000:]
    return result.stderr


def test_distiller_checkpoint_through_a_classifier_config_scores_its_student(checkpoints, tmp_path):
    # MMEngine loaded it non-strictly: nothing fitted, the untrained classifier was scored (accuracy 16.7, exit 0).
    # Its checkpoint records which weights its run evaluates (the student): a classifier config takes those.
    result = run_tool('test.py', CE, checkpoints['asym'], '--work-dir', tmp_path)
    assert "The AsymmetricDistiller checkpoint gives the weights its run evaluates (student.)" in result.stdout
    assert 'osr/accuracy' in result.stdout


def test_a_checkpoint_that_records_no_model_is_refused_with_what_to_do(checkpoints, tmp_path):
    plain = tmp_path / 'plain.pth'
    state = torch.load(checkpoints['asym'], map_location='cpu', weights_only=False)['state_dict']
    torch.save(state, plain)  # a bare state dict: nothing says what wrote it
    error = _failed(run_tool('test.py', CE, plain, '--work-dir', tmp_path, check=False))
    assert 'CheckpointMismatchError' in error and 'records no model' in error
    assert "load_cfg.prefix='student.'" in error and '--no-strict' in error


def test_automix_checkpoint_through_a_classifier_config_scores_k(checkpoints, tmp_path):
    # AutoMix validates and tests its momentum network k; a classifier config took the online network q's weights.
    out = tmp_path / 'scores.npz'
    result = run_tool('test.py', CE, checkpoints['automix'], '--work-dir', tmp_path, '--out', out)
    assert 'The AutoMix checkpoint gives the weights its run evaluates (momentum_encoder.module.0.' in result.stdout
    cfg = Config.fromfile(AUTOMIX)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = checkpoints['automix_model'].eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(len(dataset))]), False)
        expected = torch.stack([sample.pred_logits for sample in model.predict(data['inputs'], data['data_samples'])])
        online = model.online_network()(data['inputs'])
    logits = np.load(out)['logits']
    np.testing.assert_allclose(logits, expected.numpy(), rtol=1e-4, atol=1e-4)
    assert not np.allclose(logits, online.numpy(), atol=1e-3)


def test_checkpoint_written_by_mmengine_is_scored_with_its_weights(checkpoints, tmp_path):
    # Its message hub needs `builtins.getattr` to unpickle: loaded weights-only, with inert stand-ins for the history.
    out = tmp_path / 'scores.npz'
    run_tool('test.py', CE, checkpoints['ce_mmengine'], '--work-dir', tmp_path, '--out', out)
    dataset = DATASETS.build(Config.fromfile(CE).test_dataloader.dataset)
    model = checkpoints['ce_model'].eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(len(dataset))]), False)
        expected = torch.stack([sample.pred_logits for sample in model.predict(data['inputs'], data['data_samples'])])
    np.testing.assert_allclose(np.load(out)['logits'], expected.numpy(), rtol=1e-4, atol=1e-4)


def test_checkpoint_of_another_split_is_refused_at_test_time(checkpoints, tmp_path):
    # test.py scored a split-0 checkpoint against split 1 (labels of other classes) with exit 0.
    result = run_tool('test.py', CE, checkpoints['ce'], '--work-dir', tmp_path, '--cfg-options', 'split=1',
                      check=False)
    error = _failed(result)
    assert 'KnownClassesMismatchError' in error and 'but the test set of this config has' in error
    assert '--allow-other-classes' in error and 'osr/accuracy' not in result.stdout
    allowed = run_tool('test.py', CE, checkpoints['ce'], '--work-dir', tmp_path, '--cfg-options', 'split=1',
                       '--allow-other-classes')
    assert 'was trained on the known classes' in allowed.stdout and 'osr/accuracy' in allowed.stdout


def test_teacher_of_another_split_is_refused_before_training(checkpoints, tmp_path):
    # A split-0 teacher distilled a split-1 student: most mixed samples then counted as confusing.
    result = run_tool('train.py', ASYM, '--work-dir', tmp_path, '--cfg-options', 'split=1',
                      f'model.teacher_checkpoint={checkpoints["r50"]}', check=False)
    error = _failed(result)
    assert f'Teacher checkpoint {checkpoints["r50"]} was trained on the known classes' in error
    assert 'the training set of this config' in error and '--allow-other-classes' in error
    assert 'Epoch(train)' not in result.stdout


def test_test_py_scores_fitted_on_the_training_set_are_cached_next_to_the_checkpoint(checkpoints, tmp_path):
    # --scores adds osr/<score>/* for each score; KNN and ViM are fitted on the training set's features,
    # collected once and cached next to the checkpoint; --out saves every score.
    checkpoint = tmp_path / 'ce.pth'
    checkpoint.write_bytes(checkpoints['ce'].read_bytes())
    out = tmp_path / 'scores.npz'
    first = run_tool('test.py', CE, checkpoint, '--work-dir', tmp_path, '--scores', 'mls', 'knn', 'vim', '--out', out)
    assert 'Collecting the training set' in first.stdout and 'osr/knn/auroc' in first.stdout
    assert (tmp_path / 'ce.pth.scores_cache.npz').is_file()
    with np.load(out) as data:
        assert sorted(data.files) == ['config', 'labels', 'logits', 'scores_knn', 'scores_mls', 'scores_vim']
        assert str(data['config']) == str(CE)  # the CONFIG argument: the curves' default legend label
        np.testing.assert_allclose(data['scores_mls'], data['logits'].max(axis=1), rtol=1e-6)
    second = run_tool('test.py', CE, checkpoint, '--work-dir', tmp_path, '--scores', 'knn')
    assert 'Collecting the training set' not in second.stdout and 'Loaded the fitted open-set scores' in second.stdout


@pytest.mark.parametrize('config, name', [(ASYM, 'asym'), (AUTOMIX, 'automix')])
def test_test_py_feature_scores_of_the_distiller_student_and_automix_k(checkpoints, tmp_path, config, name):
    out = tmp_path / 'scores.npz'
    teacher = ['--cfg-options', f'model.teacher_checkpoint={checkpoints["r50"]}'] if name == 'asym' else []
    result = run_tool('test.py', config, checkpoints[name], '--work-dir', tmp_path, '--scores', 'knn', 'react',
                      '--out', out, *teacher)
    assert 'osr/knn/auroc' in result.stdout and 'osr/react/auroc' in result.stdout
    with np.load(out) as data:
        assert np.isfinite(data['scores_knn']).all() and np.ptp(data['scores_knn']) > 0


def test_a_plain_state_dict_tested_on_another_split_is_marked_in_the_results(checkpoints, tmp_path):
    # A `torch.save(model.state_dict())` of split 0 tested with split=1 printed its AUROC without a word: nothing
    # records its classes, so nothing could refuse it. Now the log warns and the results table carries the caveat.
    plain = tmp_path / 'plain.pth'
    torch.save(checkpoints['ce_model'].state_dict(), plain)
    result = run_tool('test.py', CE, plain, '--work-dir', tmp_path, '--cfg-options', 'split=1')
    note = (f'Checkpoint {plain} records no known classes (no meta.dataset_meta, e.g. a plain '
            'torch.save(model.state_dict())): nothing checks that it was trained on those of the test set of this '
            'config (mnist split 1, 6 classes')
    assert f'WARNING - {note}' in result.stdout
    lines = result.stdout.splitlines()
    title = next(index for index, line in enumerate(lines) if 'Open-set results: accuracy' in line)
    assert lines[title + 1].startswith(f'!! {note}')  # the caveat, marked, under the table's title
    assert 'osr/accuracy' in result.stdout  # the numbers are still reported
