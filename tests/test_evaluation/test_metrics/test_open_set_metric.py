import numpy as np
import pytest
import torch

import openmixosr.evaluation  # noqa: F401  (fills the METRICS registry)
from openmixosr.evaluation import functional as F
from openmixosr.registry import METRICS

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
    scores = F.open_set_score(logits.astype(np.float32), score_type, temperature)
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
    metric = METRICS.build(dict(type='OpenSetEvaluator', score_type=score_type, temperature=temperature))
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
    metric = METRICS.build(dict(type='OpenSetEvaluator'))
    table = metric._format_table(dict(accuracy=91.25, auroc=80.5), 10, 5)
    assert 'accuracy |   91.25' in table and 'auroc    |   80.50' in table and '10 known / 5 unknown' in table


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
    with pytest.raises(ValueError, match='score_type'):
        METRICS.build(dict(type='OpenSetEvaluator', score_type='odin'))
    with pytest.raises(ValueError, match='temperature'):
        METRICS.build(dict(type='OpenSetEvaluator', score_type='msp', temperature=2.0))


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
        np.testing.assert_array_equal(data['scores_mls'], F.max_logit_score(data['logits']))
        np.testing.assert_array_equal(data['scores_msp'], F.max_softmax_score(data['logits']))
        np.testing.assert_array_equal(data['scores_energy'], F.energy_score(data['logits']))
        assert (data['labels'] == -1).sum() == 40


def test_score_dump_requires_npz_suffix(tmp_path):
    with pytest.raises(ValueError, match='.npz'):
        METRICS.build(dict(type='OpenSetScoreDump', out_file=str(tmp_path / 'scores.pkl')))
