"""One pass, fitting on the training set, and the cache of fitted scores.

Every model's predict stores the pooled features next to the logits and exposes its final linear layer; the training
set's features are collected once with the test pipeline through predict; the fitted statistics are cached next to
the checkpoint and refitted when the checkpoint changes.
"""
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from openmixosr.evaluation import (FitOpenSetScoresHook, ScoreCache, collect_feature_bank, score_fitting,
                                   train_loader_with_test_pipeline)
from openmixosr.evaluation import feature_bank as feature_bank_module
from openmixosr.evaluation.score_cache import state_sha256
from openmixosr.registry import DATASETS, MODELS
from tests.helpers.run_tool import REPO_ROOT

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
AUTOMIX = REPO_ROOT / 'configs/automix/automix_r18w16_digits.py'
ASYM = REPO_ROOT / 'configs/asym/r18_digits.py'


def _model(config, **changes):
    cfg = Config.fromfile(config)
    return MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor, **changes)).eval()


def _models():
    torch.manual_seed(0)
    automix = _model(AUTOMIX)
    with torch.no_grad():  # k != q, so that evaluating the wrong one shows
        for param in automix.momentum_encoder.module.parameters():
            param.add_(0.05 * torch.randn_like(param))
    with pytest.warns(UserWarning, match='keeps its initial weights'):
        asym = _model(ASYM, teacher_checkpoint=None)
    return dict(ce=(_model(CE), None), automix_k=(automix, automix.momentum_encoder.module),
                automix_q=(_model(AUTOMIX, eval_network='online'), None), asym_student=(asym, asym.student),
                asym_teacher=(_model(ASYM, teacher_checkpoint=None, eval_network='teacher'), None))


@pytest.mark.filterwarnings('ignore:.*keeps its initial weights')
@pytest.mark.parametrize('name', ['ce', 'automix_k', 'automix_q', 'asym_student', 'asym_teacher'])
def test_every_model_stores_features_that_its_final_linear_maps_to_its_logits(name):
    model, network = _models()[name]
    inputs = torch.randn(5, 3, 16, 16)
    samples = model.predict(inputs)
    features = torch.stack([sample.pred_features for sample in samples])
    logits = torch.stack([sample.pred_logits for sample in samples])
    final = model.final_linear()
    assert features.dtype == torch.float32 and features.shape == (5, final.weight.shape[1])
    # logits = features @ W.T + b: the stored features are the head's input, and W, b its final layer
    np.testing.assert_allclose(features.numpy() @ final.weight.T + final.bias, logits.numpy(), rtol=1e-5, atol=1e-5)
    if network is not None:  # the evaluated network: AutoMix's k, the distiller's student
        with torch.no_grad():
            expected = network(inputs) if isinstance(network, torch.nn.Sequential) else network.head(
                network.extract_feat(inputs))
        np.testing.assert_allclose(logits.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    assert np.abs(features.numpy()).sum() > 0


def test_final_linear_is_a_copy_of_the_head():
    model = _model(CE)
    final = model.final_linear()
    np.testing.assert_array_equal(final.weight, model.head.fc.weight.detach().numpy())
    final.weight[:] = 0  # a copy: the model is untouched
    assert model.head.fc.weight.abs().sum() > 0


def test_train_loader_uses_the_test_pipeline_and_no_shuffling():
    cfg = Config.fromfile(CE)
    loader = train_loader_with_test_pipeline(cfg)
    assert loader['dataset']['pipeline'] == cfg.test_dataloader.dataset.pipeline
    assert loader['dataset']['source'] == cfg.train_dataloader.dataset.source  # the training images
    assert loader['dataset']['pipeline'] != cfg.train_dataloader.dataset.pipeline  # no RandomCrop
    assert loader['sampler'] == dict(type='DefaultSampler', shuffle=False)
    assert loader['batch_size'] == cfg.test_dataloader.batch_size
    assert loader['pin_memory'] == cfg.test_dataloader.pin_memory
    wrapped = dict(cfg, train_dataloader=dict(cfg.train_dataloader, dataset=dict(
        type='RepeatDataset', times=2, dataset=cfg.train_dataloader.dataset)))
    inner = train_loader_with_test_pipeline(wrapped)['dataset']
    assert 'pipeline' not in inner and inner['dataset']['pipeline'] == cfg.test_dataloader.dataset.pipeline


def _small_loader(cfg, n=20):
    loader = train_loader_with_test_pipeline(cfg)
    dataset = DATASETS.build(loader['dataset'])
    subset = torch.utils.data.Subset(dataset, range(n))
    return torch.utils.data.DataLoader(subset, batch_size=8, collate_fn=pseudo_collate), subset


def test_collect_feature_bank_runs_predict_in_eval_mode_in_dataset_order():
    cfg = Config.fromfile(CE)
    model = _model(CE).train()
    loader, subset = _small_loader(cfg)
    bank = collect_feature_bank(model, loader)
    assert model.training  # the mode is restored (validation runs this in the middle of training)
    assert bank.features.dtype == np.float32 and bank.logits.dtype == np.float32 and bank.labels.dtype == np.int64
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(pseudo_collate([subset[i] for i in range(len(subset))]), False)
        samples = model.predict(data['inputs'], data['data_samples'])
    np.testing.assert_allclose(bank.features, torch.stack([s.pred_features for s in samples]).numpy(), atol=1e-5)
    np.testing.assert_allclose(bank.logits, torch.stack([s.pred_logits for s in samples]).numpy(), atol=1e-5)
    np.testing.assert_array_equal(bank.labels, [int(subset[i]['data_samples'].gt_label) for i in range(len(subset))])
    assert bank.labels.min() >= 0  # the training set holds known classes only


def test_collect_feature_bank_rejects_nan_features():
    cfg = Config.fromfile(CE)
    model = _model(CE)
    with torch.no_grad():
        model.head.fc.weight[0, 0] = float('nan')
    with pytest.raises(ValueError, match=r"training set's logits contain NaN or inf in 20 of 20"):
        collect_feature_bank(model, _small_loader(cfg)[0])


# ---------------------------------------------------------------------------------------------------- cache
def test_score_cache_round_trip_and_invalidation(tmp_path):
    checkpoint = tmp_path / 'model.pth'
    model = torch.nn.Linear(3, 2)
    states = {'KNNScore(k=3)': dict(bank=np.arange(6, dtype=np.float32).reshape(2, 3), k=np.asarray(3))}
    context = dict(train_dataloader=dict(split=0))
    ScoreCache(str(checkpoint), state_sha256(model), context).save(states)
    assert os.path.isfile(f'{checkpoint}.scores_cache.npz')
    loaded = ScoreCache(str(checkpoint), state_sha256(model), context).load()
    np.testing.assert_array_equal(loaded['KNNScore(k=3)']['bank'], states['KNNScore(k=3)']['bank'])
    other_data = ScoreCache(str(checkpoint), state_sha256(model), dict(train_dataloader=dict(split=1)))
    assert other_data.load() == {}
    with torch.no_grad():
        model.weight[0, 0] += 1  # other weights evaluated (retrained, resumed, loaded in part), same path
    assert ScoreCache(str(checkpoint), state_sha256(model), context).load() == {}


def test_score_cache_ignores_a_broken_file(tmp_path):
    checkpoint = tmp_path / 'model.pth'
    digest = state_sha256(torch.nn.Linear(2, 2))
    cache = tmp_path / 'model.pth.scores_cache.npz'
    cache.write_bytes(b'not a zip file')
    with pytest.warns(UserWarning, match='unreadable score cache'):
        assert ScoreCache(str(checkpoint), digest, {}).load() == {}
    ScoreCache(str(checkpoint), digest, {}).save({'S': dict(a=np.arange(3))})
    cache.write_bytes(cache.read_bytes()[:40])  # truncated: a zip file that cannot be read
    with pytest.warns(UserWarning, match='unreadable score cache'):
        assert ScoreCache(str(checkpoint), digest, {}).load() == {}


def test_score_cache_save_raises_when_the_file_cannot_be_written_and_leaves_no_partial_file(tmp_path):
    checkpoint = tmp_path / 'model.pth'
    cache = ScoreCache(str(checkpoint), state_sha256(torch.nn.Linear(2, 2)), {})
    (tmp_path / 'model.pth.scores_cache.npz').mkdir()  # cannot be replaced by a file, even by root
    (tmp_path / 'model.pth.scores_cache.npz' / 'keep').write_text('')
    with pytest.raises(OSError):
        cache.save({'S': dict(a=np.arange(3))})
    assert sorted(path.name for path in tmp_path.iterdir()) == ['model.pth.scores_cache.npz']
    with pytest.raises(ValueError, match='not plain arrays'):
        cache.save({'S': dict(a=np.array([object()]))})


# ---------------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope='module')
def ce_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp('ckpt') / 'ce.pth'
    torch.save(dict(state_dict=_model(CE).state_dict()), path)
    return path


def _test_runner(checkpoint, work_dir, scores):
    from openmixosr.engine import build_runner
    cfg = Config.fromfile(CE)
    cfg.work_dir = str(work_dir)
    # MMEngine names a run's logger and message hub after the experiment and the second it started: runners built in
    # one second of one process would share them (and only the first would write a log file).
    cfg.experiment_name = f'{work_dir.parent.name}_{work_dir.name}'
    cfg.load_from = str(checkpoint)
    cfg.test_evaluator = dict(type='OpenSetEvaluator', scores=scores)
    cfg.default_hooks.pop('checkpoint', None)
    return build_runner(cfg)


def test_runner_fits_scores_on_the_training_set_once_and_caches_them(ce_checkpoint, tmp_path, monkeypatch):
    calls = []
    collect = feature_bank_module.collect_feature_bank

    def counting_collect(model, loader):
        calls.append(loader)
        return collect(model, loader)

    monkeypatch.setattr(score_fitting, 'collect_feature_bank', counting_collect)
    scores = ['mls', 'energy', dict(type='KNNScore', k=5), 'vim']
    runner = _test_runner(ce_checkpoint, tmp_path / 'a', scores)
    assert sum(isinstance(hook, FitOpenSetScoresHook) for hook in runner.hooks) == 1
    metrics = runner.test()
    assert len(calls) == 1 and calls[0]['dataset']['pipeline'] == Config.fromfile(CE).test_dataloader.dataset.pipeline
    for name in ('mls', 'energy', 'knn', 'vim'):
        for metric in ('auroc', 'oscr', 'fpr95', 'aupr_in', 'aupr_out'):
            assert 0.0 <= metrics[f'osr/{name}/{metric}'] <= 100.0
    assert metrics['osr/mls/auroc'] == pytest.approx(metrics['osr/auroc'])  # the default score, under both names
    assert metrics['osr/knn/auroc'] != pytest.approx(metrics['osr/auroc'])
    cache = f'{ce_checkpoint}.scores_cache.npz'
    assert os.path.isfile(cache)

    # Second evaluation: statistics from the cache, no pass over the training set, same numbers.
    again = _test_runner(ce_checkpoint, tmp_path / 'b', scores).test()
    assert len(calls) == 1
    for key, value in metrics.items():
        assert again[key] == pytest.approx(value, abs=1e-9), key

    # The checkpoint changes (retrained at the same path): the cache is stale and the scores are refitted.
    state = torch.load(ce_checkpoint, weights_only=True)
    state['state_dict']['head.fc.bias'] += 1.0
    torch.save(state, ce_checkpoint)
    _test_runner(ce_checkpoint, tmp_path / 'c', scores).test()
    assert len(calls) == 2


def test_runner_without_train_set_scores_does_not_collect(ce_checkpoint, tmp_path, monkeypatch):
    def forbidden(*args):
        raise AssertionError('collected the training set for logit scores')

    monkeypatch.setattr(score_fitting, 'collect_feature_bank', forbidden)
    checkpoint = tmp_path / 'ce.pth'
    checkpoint.write_bytes(ce_checkpoint.read_bytes())
    metrics = _test_runner(checkpoint, tmp_path, ['msp', dict(type='ASHScore', variant='p')]).test()
    assert 'osr/msp/auroc' in metrics and 'osr/ash_p/auroc' in metrics  # ASH: the final layer, no training set
    assert not os.path.isfile(f'{checkpoint}.scores_cache.npz')


def _run_log(work_dir) -> str:
    """The text of the log file the runner wrote in ``work_dir/<timestamp>/``."""
    logs = list(work_dir.glob('*/*.log'))
    assert len(logs) == 1, logs
    return logs[0].read_text()


def test_a_failed_save_of_the_fitted_scores_is_a_warning_not_a_success(ce_checkpoint, tmp_path):
    # tools/test.py logged "Saved the fitted open-set scores to ..." although the file could not be written.
    checkpoint = tmp_path / 'ce.pth'
    checkpoint.write_bytes(ce_checkpoint.read_bytes())
    (tmp_path / 'ce.pth.scores_cache.npz').mkdir()  # in the way of the cache file
    (tmp_path / 'ce.pth.scores_cache.npz' / 'keep').write_text('')
    metrics = _test_runner(checkpoint, tmp_path / 'failed', ['knn']).test()
    assert 'osr/knn/auroc' in metrics  # the results stand
    log = _run_log(tmp_path / 'failed')
    assert 'Saved the fitted open-set scores' not in log
    assert f'WARNING - Could not save the fitted open-set scores to {checkpoint}.scores_cache.npz (IsADirectoryError' \
        in log and 'The results are not affected' in log

    (tmp_path / 'ce.pth.scores_cache.npz' / 'keep').unlink()
    (tmp_path / 'ce.pth.scores_cache.npz').rmdir()
    _test_runner(checkpoint, tmp_path / 'saved', ['knn']).test()
    assert f'Saved the fitted open-set scores to {checkpoint}.scores_cache.npz' in _run_log(tmp_path / 'saved')
    assert os.path.isfile(f'{checkpoint}.scores_cache.npz')
