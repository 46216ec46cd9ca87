"""OpenSetEvaluator(unknown_sets=...): each named unknown set (Semantic Shift Benchmark 'easy', 'hard') evaluated on
its own against all known samples; OpenSetScoreDump saves the set names."""
import numpy as np
import pytest
import torch
from scipy.special import softmax
from sklearn.metrics import roc_auc_score

import openmixosr.evaluation  # noqa: F401  (fills the METRICS registry)
from openmixosr.evaluation.metrics import open_set as open_set_module
from openmixosr.evaluation.metrics.open_set import OPEN_SET_METRICS, open_set_metrics
from openmixosr.evaluation.unknown_set_rules import unknown_set_problem
from openmixosr.registry import METRICS

NUM_CLASSES = 3


def make_set_samples(seed=0, n_known=30, n_easy=12, n_hard=18):
    """Known samples with mostly correct, high logits; 'easy' unknowns with low logits, 'hard' ones in between."""
    rng = np.random.default_rng(seed)
    labels = np.r_[rng.integers(0, NUM_CLASSES, n_known), np.full(n_easy + n_hard, -1)]
    sets = np.array([''] * n_known + ['easy'] * n_easy + ['hard'] * n_hard)
    logits = rng.normal(size=(len(labels), NUM_CLASSES))
    logits[np.arange(n_known), labels[:n_known]] += 2.0
    logits[sets == 'easy'] -= 1.5
    logits = logits.round(1).astype(np.float32)  # ties in the scores
    samples = [dict(gt_label=torch.tensor([y]), pred_logits=torch.from_numpy(z), unknown_set=str(s))
               for y, z, s in zip(labels, logits, sets)]
    return samples, logits, labels, sets


def run(metric, samples, batch_size=8):
    for start in range(0, len(samples), batch_size):
        metric.process(None, samples[start:start + batch_size])
    return metric.evaluate(len(samples))


def test_each_set_against_all_known_samples():
    samples, logits, labels, sets = make_set_samples()
    results = run(METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard'), scores=['msp'])),
                  samples)
    known = labels >= 0
    preds = logits.argmax(axis=1)
    mls = logits.max(axis=1)
    msp = softmax(logits.astype(np.float64), axis=1).max(axis=1)
    assert results['osr/accuracy'] == pytest.approx(100 * (preds[known] == labels[known]).mean())
    for name in ('easy', 'hard'):
        subset = known | (sets == name)
        # an independent reference: sklearn on the known samples plus this set's unknowns only
        assert results[f'osr/{name}/auroc'] == pytest.approx(100 * roc_auc_score(known[subset], mls[subset]))
        assert results[f'osr/{name}/msp/auroc'] == pytest.approx(100 * roc_auc_score(known[subset], msp[subset]))
        for score_name, key in ((mls, f'osr/{name}/'), (msp, f'osr/{name}/msp/')):
            expected = open_set_metrics(score_name[subset], preds[subset], labels[subset])
            for metric in OPEN_SET_METRICS:
                assert results[key + metric] == pytest.approx(100 * expected[metric], abs=1e-12), key + metric
    # the sets differ (the easy unknowns have lower logits), and no merged or unnamed open-set metric is logged
    assert results['osr/easy/auroc'] > results['osr/hard/auroc']
    merged = 100 * roc_auc_score(known, mls)
    assert merged not in (results['osr/easy/auroc'], results['osr/hard/auroc'])
    expected_keys = {'osr/accuracy'} | {f'osr/{name}/{score}{metric}' for name in ('easy', 'hard')
                                        for score in ('', 'msp/') for metric in OPEN_SET_METRICS}
    assert set(results) == expected_keys


def test_set_order_and_a_single_set():
    samples, logits, labels, sets = make_set_samples(seed=1)
    both = run(METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=['hard', 'easy'])), samples)
    easy_only = [sample for sample, name in zip(samples, sets) if name != 'hard']
    alone = run(METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', ))), easy_only)
    # a set's metrics do not depend on the other sets in the test set
    assert set(alone) == {key for key in both if not key.startswith('osr/hard/')}
    assert alone == {key: both[key] for key in alone}


def test_table_groups_rows_by_set_with_sample_counts(monkeypatch):
    samples, *_ = make_set_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard'), scores=['mls', 'msp']))
    printed = []
    monkeypatch.setattr(open_set_module, 'print_log', lambda message, logger: printed.append(message))
    results = run(metric, samples)
    table, = printed
    assert 'accuracy' in table and '30 known samples, unknown samples easy 12, hard 18' in table
    assert 'set  | score |    auroc |' in table
    lines = table.splitlines()
    rows = [line for line in lines if line.startswith(('easy ', 'hard '))]
    # mls repeats the starred row and is left out; one group per set, separated by a rule
    assert [row.split('|')[0].strip() + ' ' + row.split('|')[1].strip() for row in rows] == [
        'easy mls *', 'easy msp', 'hard mls *', 'hard msp']
    assert lines[lines.index(rows[1]) + 1].startswith('---')
    assert f'{results["osr/hard/msp/auroc"]:8.2f}' in rows[3]


def test_format_set_table():
    values = dict(auroc=80.5, oscr=70.0, fpr95=50.0, aupr_in=1.0, aupr_out=2.0, macro_f1=3.0)
    table = METRICS.build(dict(type='OpenSetEvaluator')).format_set_table(
        91.25, [('easy', 'mls *', values), ('hard', 'mls *', dict(values, auroc=60.0))], 10, dict(easy=4, hard=6))
    assert 'accuracy 91.25, 10 known samples, unknown samples easy 4, hard 6' in table
    assert 'easy | mls * |    80.50 |    70.00 |' in table
    assert 'hard | mls * |    60.00 |' in table


def test_named_sets_without_unknown_sets_is_an_error():
    samples, *_ = make_set_samples()
    metric = METRICS.build(dict(type='OpenSetEvaluator'))
    with pytest.raises(ValueError, match=r"named unknown sets \['easy', 'hard'\].*set `unknown_sets=\('easy', "
                       r"'hard'\)` in the evaluator"):
        run(metric, samples)


def test_unknown_sets_without_the_field_names_pack_inputs():
    samples, *_ = make_set_samples()
    for sample in samples:
        del sample['unknown_set']
    metric = METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard')))
    with pytest.raises(KeyError, match=r"no `unknown_set` field: add `algorithm_keys=\('unknown_set',\)` to the "
                       "test pipeline's PackInputs"):
        metric.process(None, samples[:2])


def test_set_not_in_unknown_sets_is_an_error():
    samples, *_ = make_set_samples()
    with pytest.raises(ValueError, match=r"unknown samples of the sets \['hard'\], which are not in the evaluator's "
                       r"unknown_sets \('easy',\)"):
        run(METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', ))), samples)


def test_configured_set_without_samples_is_an_error():
    samples, *_ = make_set_samples()
    with pytest.raises(ValueError, match=r"unknown sets \['medium'\] of the evaluator's unknown_sets .* have no "
                       'sample in the test set'):
        run(METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'medium', 'hard'))), samples)


def test_known_sample_with_a_set_and_unknown_sample_without_one_are_errors():
    samples, *_ = make_set_samples()
    samples[2]['unknown_set'] = 'easy'
    metric = METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard')))
    with pytest.raises(ValueError, match=r"1 known sample\(s\) .* e.g. sample 2 .*unknown_set 'easy'"):
        run(metric, samples)
    samples, *_ = make_set_samples()
    samples[-1]['unknown_set'] = ''
    metric = METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard')))  # a failed run keeps results
    with pytest.raises(ValueError, match=r"1 unknown sample\(s\) of the test set \(gt_label -1\) have the "
                       "unknown_set ''"):
        run(metric, samples)


def test_bad_unknown_sets_arguments():
    with pytest.raises(ValueError, match=r"unknown_sets names \['easy'\] more than once"):
        METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard', 'easy')))
    with pytest.raises(ValueError, match=r"write \('easy', \) for one set"):
        METRICS.build(dict(type='OpenSetEvaluator', unknown_sets='easy'))
    with pytest.raises(ValueError, match='unknown_sets is empty'):
        METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=()))
    with pytest.raises(ValueError, match='non-empty names without "/"'):
        METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', 'a/b')))


def test_unknown_set_must_be_a_string():
    metric = METRICS.build(dict(type='OpenSetEvaluator', unknown_sets=('easy', )))
    with pytest.raises(TypeError, match='unknown_set must be a str'):
        metric.process(None, [dict(gt_label=torch.tensor([-1]), pred_logits=torch.zeros(2), unknown_set=1)])


def test_unknown_set_problem_accepts_fitting_names():
    labels = np.array([0, 1, -1, -1])
    assert unknown_set_problem(labels, ['', '', 'easy', 'hard'], ('easy', 'hard')) is None
    assert unknown_set_problem(labels, None, None) is None
    assert unknown_set_problem(labels, ['', '', '', ''], None) is None  # the field without names: one unknown set
    assert 'validation set' in unknown_set_problem(labels, ['', '', 'easy', None], ('easy', ), 'validation set')


def test_evaluator_without_sets_still_ignores_an_empty_field():
    samples, logits, labels, _ = make_set_samples()
    for sample in samples:
        sample['unknown_set'] = ''
    results = run(METRICS.build(dict(type='OpenSetEvaluator')), samples)
    known = labels >= 0
    assert results['osr/auroc'] == pytest.approx(100 * roc_auc_score(known, logits.max(axis=1)))


def test_score_dump_saves_the_set_names(tmp_path):
    samples, logits, labels, sets = make_set_samples()
    out_file = tmp_path / 'scores.npz'
    run(METRICS.build(dict(type='OpenSetScoreDump', out_file=str(out_file), scores=['mls'])), samples)
    with np.load(out_file, allow_pickle=False) as data:
        assert data['unknown_set'].dtype.kind == 'U'
        np.testing.assert_array_equal(data['unknown_set'], sets)
        np.testing.assert_array_equal(data['labels'], labels)
        np.testing.assert_array_equal(data['scores_mls'], logits.max(axis=1))
    plain = tmp_path / 'plain.npz'
    for sample in samples:
        del sample['unknown_set']
    run(METRICS.build(dict(type='OpenSetScoreDump', out_file=str(plain), scores=['mls'])), samples)
    with np.load(plain, allow_pickle=False) as data:
        assert 'unknown_set' not in data.files


def test_score_dump_rejects_inconsistent_names(tmp_path):
    samples, *_ = make_set_samples()
    del samples[0]['unknown_set']
    metric = METRICS.build(dict(type='OpenSetScoreDump', out_file=str(tmp_path / 'a.npz'), scores=['mls']))
    with pytest.raises(ValueError, match='1 of the 60 test samples have no `unknown_set` field'):
        run(metric, samples)
    samples, *_ = make_set_samples()
    samples[0]['unknown_set'] = 'hard'
    metric = METRICS.build(dict(type='OpenSetScoreDump', out_file=str(tmp_path / 'a.npz'), scores=['mls']))
    with pytest.raises(ValueError, match=r'1 known test sample\(s\) name an unknown set'):
        run(metric, samples)
