import numpy as np
import pytest
import torch
from scipy.special import logsumexp, softmax

import openmixosr.evaluation  # noqa: F401  (fills the METRICS registry)
from openmixosr.evaluation import functional as F
from openmixosr.evaluation.scores import FeatureBank, FinalLinear, all_one_pass_scores, build_score
from openmixosr.registry import METRICS

#: The logit scores by hand (independent of the score classes): MLS, MSP and energy at temperature T.
REFERENCE_SCORES = dict(mls=lambda z, t: z.max(axis=1), msp=lambda z, t: softmax(z, axis=1).max(axis=1),
                        energy=lambda z, t: t * logsumexp(z / t, axis=1))

NUM_CLASSES = 5


def make_samples(seed=0, n_known=60, n_unknown=40):
    """Data samples as mmengine's Evaluator passes them: dicts with a [1] gt_label and [C] pred_logits tensors."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.cat([torch.randint(0, NUM_CLASSES, (n_known, ), generator=generator),
                        torch.full((n_unknown, ), -1)])
    logits = torch.randn(n_known + n_unknown, NUM_CLASSES, generator=generator)
    logits[torch.arange(n_known), labels[:n_known]] += 1.5  # known samples: higher, mostly correct logits
    logits = logits.round(decimals=1)  # ties in the scores
    samples = [dict(gt_label=label.reshape(1), pred_logits=logit) for label, logit in zip(labels, logits)]
    return samples, logits.numpy().astype(np.float64), labels.numpy()


def run(metric, samples, batch_size=16):
    for start in range(0, len(samples), batch_size):
        metric.process(None, samples[start:start + batch_size])
    return metric.evaluate(len(samples))


def expected_metrics(logits, labels, score_type, temperature=1.0):
    scores = REFERENCE_SCORES[score_type](logits.astype(np.float32).astype(np.float64), temperature)
    preds = logits.argmax(axis=1)
    known = labels >= 0
    ks, us = scores[known], scores[~known]
    correct = preds[known] == labels[known]
    threshold = F.threshold_at_tpr(ks, 0.95)
    values = dict(
        accuracy=correct.mean(),
        auroc=F.auroc(ks, us),
        oscr=F.oscr(ks, correct, us),
        fpr95=F.fpr_at_tpr(ks, us, 0.95),
        aupr_in=F.aupr_in(ks, us),
        aupr_out=F.aupr_out(ks, us),
        macro_f1=F.open_set_macro_f1(ks, labels[known], preds[known], us, preds[~known], threshold))
    return {f'osr/{name}': 100 * value for name, value in values.items()}


@pytest.mark.parametrize('score_type, temperature', [('mls', 1.0), ('msp', 1.0), ('energy', 2.0)])
def test_evaluator_matches_functional(score_type, temperature):
    headline = dict(type='EnergyScore', temperature=temperature) if score_type == 'energy' else score_type
    metric = METRICS.build(dict(type='OpenSetEvaluator', score_type=headline))
    samples, logits, labels = make_samples()
    results = run(metric, samples)
    expected = expected_metrics(logits, labels, score_type, temperature)
    assert results.keys() == expected.keys()
    for name, value in expected.items():
        assert results[name] == pytest.approx(value, abs=1e-12), name
    assert metric.results == []  # BaseMetric.evaluate clears the collected results


def test_evaluator_accuracy_uses_known_samples_only():
    # Two known samples (one correct), two unknown ones whose argmax is irrelevant to the accuracy.
    logits = [[2.0, 0.0], [3.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    labels = [0, 1, -1, -1]
    samples = [dict(gt_label=torch.tensor([y]), pred_logits=torch.tensor(z)) for y, z in zip(labels, logits)]
    results = run(METRICS.build(dict(type='OpenSetEvaluator')), samples)
    assert results['osr/accuracy'] == 50.0
    # MLS scores: known 2, 3; unknown 1, 1 -> perfectly separated; OSCR = accuracy.
    assert results['osr/auroc'] == 100.0
    assert results['osr/oscr'] == 50.0
    assert results['osr/fpr95'] == 0.0


def test_evaluator_prefix():
    metric = METRICS.build(dict(type='OpenSetEvaluator', prefix='split0'))
    results = run(metric, make_samples()[0])
    assert all(name.startswith('split0/') for name in results)


def test_evaluator_table_format():
    rows = [('mls *', dict(auroc=80.5, oscr=70.0, fpr95=50.0, aupr_in=1.0, aupr_out=2.0, macro_f1=3.0)),
            ('knn', dict(auroc=90.25, oscr=71.0, fpr95=40.0, aupr_in=4.0, aupr_out=5.0, macro_f1=6.0))]
    table = METRICS.build(dict(type='OpenSetEvaluator')).format_table(91.25, rows, 10, 5)
    assert 'accuracy 91.25' in table and '10 known / 5 unknown' in table
    assert 'score |    auroc |     oscr |    fpr95 |  aupr_in | aupr_out | macro_f1' in table
    assert 'mls * |    80.50 |    70.00 |    50.00 |     1.00 |     2.00 |     3.00' in table
    assert 'knn   |    90.25 |    71.00 |' in table


def test_caveats_are_marked_under_the_title_of_every_table():
    from openmixosr.evaluation import TakesResultCaveats
    metric = METRICS.build(dict(type='OpenSetEvaluator'))
    assert isinstance(metric, TakesResultCaveats) and metric.caveats == []
    metric.add_caveat('The checkpoint records no classes.')
    metric.add_caveat('The checkpoint records no classes.')  # once per text
    row = dict(auroc=80.5, oscr=70.0, fpr95=50.0, aupr_in=1.0, aupr_out=2.0, macro_f1=3.0)
    lines = metric.format_table(91.25, [('mls *', row)], 10, 5, metric.caveats).split('\n')
    assert lines[1].startswith('Open-set results:') and lines[2] == '!! The checkpoint records no classes.'
    assert lines[3].startswith('---')
    lines = metric.format_set_table(91.25, [('easy', 'mls *', row)], 10, {'easy': 5}, ['a', 'b']).split('\n')
    assert lines[1].startswith('Open-set results per unknown set') and lines[2:4] == ['!! a', '!! b']
    assert '!!' not in metric.format_table(91.25, [('mls *', row)], 10, 5)


def test_evaluator_missing_pred_logits():
    metric = METRICS.build(dict(type='OpenSetEvaluator'))
    with pytest.raises(KeyError, match='must store its raw logits .* in `pred_logits`'):
        metric.process(None, [dict(gt_label=torch.tensor([0]), pred_score=torch.tensor([0.3, 0.7]))])


def test_evaluator_without_unknown_samples_raises():
    metric = METRICS.build(dict(type='OpenSetEvaluator'))
    samples = [dict(gt_label=torch.tensor([i % 2]), pred_logits=torch.randn(2)) for i in range(6)]
    with pytest.raises(ValueError, match='undefined without unknown samples'):
        run(metric, samples)


def test_evaluator_rejects_bad_score_type():
    with pytest.raises(KeyError, match="unknown open-set score 'odin'"):
        METRICS.build(dict(type='OpenSetEvaluator', score_type='odin'))
    with pytest.raises(TypeError, match='temperature'):
        METRICS.build(dict(type='OpenSetEvaluator', score_type='msp', temperature=2.0))
    with pytest.raises(ValueError, match="are both named 'energy'"):
        METRICS.build(dict(type='OpenSetEvaluator', score_type=dict(type='EnergyScore', temperature=2.0),
                           scores=['energy']))


def test_any_registered_score_is_the_headline_score():
    """score_type='knn': the unnamed metrics are KNN's; it is fitted once with the listed scores."""
    samples, _, _, _, final, train = make_feature_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator', score_type=dict(type='KNNScore', k=5), scores=['mls']))
    assert list(metric.scores) == ['knn', 'mls'] and metric.headline == 'knn'
    metric.fit_scores(final, lambda: train)
    results = run(metric, samples)
    assert results['osr/auroc'] != results['osr/mls/auroc'] and 'osr/knn/auroc' not in results
    listed = METRICS.build(dict(type='OpenSetEvaluator', score_type=dict(type='KNNScore', k=5),
                                scores=[dict(type='KNNScore', k=5), 'mls']))
    listed.fit_scores(final, lambda: train)
    again = run(listed, samples)
    assert again['osr/auroc'] == again['osr/knn/auroc'] == results['osr/auroc']


def test_score_dump_writes_loadable_npz(tmp_path):
    out_file = tmp_path / 'sub' / 'scores.npz'
    metric = METRICS.build(dict(type='OpenSetScoreDump', out_file=str(out_file)))
    samples, logits, labels = make_samples(seed=1)
    assert run(metric, samples) == {}
    with np.load(out_file, allow_pickle=False) as data:
        assert data['logits'].dtype == np.float32 and data['logits'].shape == (100, NUM_CLASSES)
        assert data['labels'].dtype == np.int64
        np.testing.assert_array_equal(data['logits'], logits.astype(np.float32))
        np.testing.assert_array_equal(data['labels'], labels)
        reference = data['logits'].astype(np.float64)
        np.testing.assert_allclose(data['scores_mls'], reference.max(axis=1), rtol=1e-12)
        np.testing.assert_allclose(data['scores_msp'], softmax(reference, axis=1).max(axis=1), rtol=1e-6)
        np.testing.assert_allclose(data['scores_energy'], logsumexp(reference, axis=1), rtol=1e-6)
        assert sorted(data.files) == ['labels', 'logits', 'scores_energy', 'scores_mls', 'scores_msp']
        assert (data['labels'] == -1).sum() == 40


def test_score_dump_records_the_config_it_is_given(tmp_path):
    out_file = tmp_path / 'scores.npz'
    metric = METRICS.build(dict(type='OpenSetScoreDump', out_file=str(out_file), scores=['mls'],
                                config='openmixosr::asym/r18_digits.py'))
    run(metric, make_samples(seed=1)[0])
    with np.load(out_file, allow_pickle=False) as data:
        assert data['config'].shape == () and str(data['config']) == 'openmixosr::asym/r18_digits.py'


def test_score_dump_requires_npz_suffix(tmp_path):
    with pytest.raises(ValueError, match='.npz'):
        METRICS.build(dict(type='OpenSetScoreDump', out_file=str(tmp_path / 'scores.pkl')))


# ---------------------------------------------------------------------------------------------------- many scores
FEATURE_DIM = 6


def make_feature_samples(seed=0, n_known=60, n_unknown=40):
    """Non-negative (post-ReLU) features: known samples near their class centre, unknown ones near the middle;
    logits from a final linear layer that classifies the known samples."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * np.eye(NUM_CLASSES, FEATURE_DIM, dtype=np.float32) + 1.0
    labels = np.r_[rng.integers(0, NUM_CLASSES, n_known), np.full(n_unknown, -1)]
    features = np.where(labels[:, None] >= 0, centres[labels % NUM_CLASSES], 1.5)
    features = np.abs(features + rng.normal(scale=0.5, size=features.shape)).astype(np.float32)  # post-ReLU
    weight = centres - centres.mean(axis=0) + rng.normal(scale=0.1, size=centres.shape)  # classifies the known
    final = FinalLinear(weight=weight.astype(np.float32), bias=rng.normal(scale=0.1, size=NUM_CLASSES).astype(
        np.float32))
    logits = features @ final.weight.T + final.bias
    samples = [dict(gt_label=torch.tensor([y]), pred_logits=torch.from_numpy(z), pred_features=torch.from_numpy(f))
               for y, z, f in zip(labels, logits, features)]
    train_labels = np.repeat(np.arange(NUM_CLASSES), 12)
    train_features = np.abs(centres[train_labels] + rng.normal(scale=0.5, size=(len(train_labels), FEATURE_DIM)))
    train_features = train_features.astype(np.float32)
    train = FeatureBank(features=train_features, logits=train_features @ final.weight.T + final.bias,
                        labels=train_labels)
    return samples, features, logits, labels, final, train


def knn_by_hand(test_features, train_features, k):
    """Negative distance to the k-th nearest normalised training feature (Sun et al. 2022), written out."""
    def normalise(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    distances = np.linalg.norm(normalise(test_features)[:, None] - normalise(train_features)[None], axis=2)
    return -np.sort(distances, axis=1)[:, k - 1]


def test_evaluator_with_three_scores_one_fitted_on_the_training_set():
    samples, features, logits, labels, final, train = make_feature_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls', 'energy', dict(type='KNNScore', k=3)]))
    assert metric.needs_train_set
    metric.fit_scores(final, lambda: train)
    results = run(metric, samples)
    known = labels >= 0
    preds = logits.argmax(axis=1)
    correct = preds[known] == labels[known]
    expected = dict(mls=logits.max(axis=1), energy=np.log(np.exp(logits.astype(np.float64)).sum(axis=1)),
                    knn=knn_by_hand(features, train.features, 3))
    for name, scores in expected.items():
        assert results[f'osr/{name}/auroc'] == pytest.approx(100 * F.auroc(scores[known], scores[~known]), abs=1e-9)
        assert results[f'osr/{name}/oscr'] == pytest.approx(100 * F.oscr(scores[known], correct, scores[~known]),
                                                             abs=1e-9)
        assert results[f'osr/{name}/fpr95'] == pytest.approx(
            100 * F.fpr_at_tpr(scores[known], scores[~known], 0.95), abs=1e-9)
        assert results[f'osr/{name}/aupr_in'] == pytest.approx(100 * F.aupr_in(scores[known], scores[~known]))
        assert results[f'osr/{name}/aupr_out'] == pytest.approx(100 * F.aupr_out(scores[known], scores[~known]))
    # the default names stay those of MLS; accuracy is logged once
    assert results['osr/auroc'] == results['osr/mls/auroc']
    assert results['osr/accuracy'] == pytest.approx(100 * correct.mean())
    assert not any(key.endswith('/accuracy') and key != 'osr/accuracy' for key in results)
    assert results['osr/knn/auroc'] != results['osr/mls/auroc']


def test_evaluator_all_scores():
    samples, _, _, _, final, train = make_feature_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores='all'))
    assert set(metric.scores) == {build_score(cfg).name for cfg in all_one_pass_scores()}
    calls = []
    metric.fit_scores(final, lambda: calls.append(1) or train)
    results = run(metric, samples)
    assert {f'osr/{name}/auroc' for name in metric.scores} <= set(results)
    assert all(0 <= results[f'osr/{name}/auroc'] <= 100 for name in metric.scores)


def test_fit_scores_uses_cached_states_without_the_training_set():
    samples, _, _, _, final, train = make_feature_samples()
    fitted = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls', 'knn', 'mahalanobis']))
    states = fitted.fit_scores(final, lambda: train)
    assert set(states) == {'KNNScore(k=50)', 'MahalanobisScore()'}  # only the scores fitted on the training set
    expected = run(fitted, samples)

    def no_training_set():
        raise AssertionError('the cached statistics should have been used')

    fresh = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls', 'knn', 'mahalanobis']))
    fresh.fit_scores(final, no_training_set, states)
    assert run(fresh, samples) == expected
    other_k = METRICS.build(dict(type='OpenSetEvaluator', scores=[dict(type='KNNScore', k=3)]))
    calls = []
    other_k.fit_scores(final, lambda: calls.append(1) or train, states)  # other hyper-parameters: refitted
    assert calls == [1]


def test_score_needing_the_training_set_without_one_is_an_error():
    samples, *_ = make_feature_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls', 'knn']))
    for sample in samples:
        metric.process(None, [sample])
    with pytest.raises(RuntimeError, match="score 'knn' .* is not fitted; it needs the training set's features"):
        metric.evaluate(len(samples))
    empty = FeatureBank(features=np.zeros((0, FEATURE_DIM), np.float32), logits=np.zeros((0, NUM_CLASSES),
                                                                                         np.float32))
    with pytest.raises(ValueError, match='empty'):
        metric.fit_scores(make_feature_samples()[4], lambda: empty)


def test_logit_scores_need_no_fitting_but_feature_scores_do():
    samples, *_ = make_feature_samples()
    results = run(METRICS.build(dict(type='OpenSetEvaluator', scores=['msp', 'gen'])), samples)
    assert 'osr/gen/auroc' in results
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores=['ash_b']))
    with pytest.raises(RuntimeError, match='it needs the final linear layer'):
        run(metric, samples)


def test_nan_test_features_are_an_error():
    samples, _, _, _, final, train = make_feature_samples()
    samples[3]['pred_features'] = torch.full((FEATURE_DIM, ), float('nan'))
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores=['knn']))
    metric.fit_scores(final, lambda: train)
    with pytest.raises(ValueError, match='test features contain NaN'):
        run(metric, samples)
    train.features[0, 0] = np.nan
    with pytest.raises(ValueError, match='training features contain NaN'):
        METRICS.build(dict(type='OpenSetEvaluator', scores=['knn'])).fit_scores(final, lambda: train)


def test_feature_scores_need_pred_features():
    metric = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls', 'knn']))
    with pytest.raises(KeyError, match=r"\['knn'\] read the pooled features.*no `pred_features`"):
        metric.process(None, [dict(gt_label=torch.tensor([0]), pred_logits=torch.randn(NUM_CLASSES))])
    logit_only = METRICS.build(dict(type='OpenSetEvaluator', scores=['mls']))
    logit_only.process(None, [dict(gt_label=torch.tensor([0]), pred_logits=torch.randn(NUM_CLASSES),
                                   pred_features=torch.randn(FEATURE_DIM))])
    assert logit_only.results[0]['features'] is None  # not kept when no score reads them


def test_bad_scores_arguments():
    with pytest.raises(ValueError, match="write \\['knn'\\] for one score"):
        METRICS.build(dict(type='OpenSetEvaluator', scores='knn'))
    with pytest.raises(ValueError, match="Two scores are named 'knn'"):
        METRICS.build(dict(type='OpenSetEvaluator', scores=['knn', dict(type='KNNScore', k=3)]))
    with pytest.raises(KeyError):
        METRICS.build(dict(type='OpenSetEvaluator', scores=['no_such_score']))


def test_score_dump_saves_every_score(tmp_path):
    samples, features, logits, labels, final, train = make_feature_samples()
    out_file = tmp_path / 'scores.npz'
    metric = METRICS.build(dict(type='OpenSetScoreDump', out_file=str(out_file), scores=['mls', 'knn']))
    metric.fit_scores(final, lambda: train)
    run(metric, samples)
    with np.load(out_file, allow_pickle=False) as data:
        assert sorted(data.files) == ['labels', 'logits', 'scores_knn', 'scores_mls']
        np.testing.assert_allclose(data['scores_knn'], knn_by_hand(features, train.features, 50), atol=1e-5)
