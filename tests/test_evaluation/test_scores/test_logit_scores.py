"""MSP, MLS, energy, entropy and GEN against hand computations on two samples of three classes."""
import math

import numpy as np
import pytest

from openmixosr.evaluation.scores import FeatureBank, build_score

LOGITS = np.array([[2.0, 1.0, 0.0], [0.5, 0.5, 3.0]], dtype=np.float32)


def softmax_row(row):
    exps = [math.exp(value) for value in row]
    return [value / sum(exps) for value in exps]


def score(name, **kwargs):
    cfg = dict(type=type(build_score(name)).__name__, **kwargs)
    return build_score(cfg).fit().score(FeatureBank(features=None, logits=LOGITS))


def test_msp_mls_energy_entropy_by_hand():
    probabilities = [softmax_row(row) for row in LOGITS.tolist()]
    np.testing.assert_allclose(score('msp'), [max(p) for p in probabilities], rtol=1e-12)
    np.testing.assert_allclose(score('mls'), [2.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(score('energy'), [math.log(sum(math.exp(v) for v in row)) for row in LOGITS.tolist()],
                               rtol=1e-12)
    # T = 2: 2 * log(sum(exp(z / 2)))
    np.testing.assert_allclose(score('energy', temperature=2.0),
                               [2 * math.log(sum(math.exp(v / 2) for v in row)) for row in LOGITS.tolist()],
                               rtol=1e-12)
    np.testing.assert_allclose(score('entropy'), [sum(v * math.log(v) for v in p) for p in probabilities],
                               rtol=1e-12)


def test_msp_and_energy_are_stable_for_huge_logits_and_exact_for_ties():
    huge = np.array([[1000.0, 0.0], [1000.0, 1000.0]], dtype=np.float32)
    bank = FeatureBank(features=None, logits=huge)
    np.testing.assert_array_equal(build_score('msp').fit().score(bank), [1.0, 0.5])  # no overflow, exact limits
    assert build_score('energy').fit().score(bank)[1] == pytest.approx(1000 + math.log(2), rel=1e-15)
    flat = FeatureBank(features=None, logits=np.zeros((1, 3), dtype=np.float32))
    assert build_score('energy').fit().score(flat)[0] == pytest.approx(math.log(3), rel=1e-14)


def test_gen_by_hand_and_top_classes_truncation():
    probabilities = [softmax_row(row) for row in LOGITS.tolist()]
    gamma = 0.1
    full = [-sum(v**gamma * (1 - v)**gamma for v in p) for p in probabilities]
    np.testing.assert_allclose(score('gen'), full, rtol=1e-12)  # M = 100 > 3 classes: all of them
    top_two = [-sum(v**gamma * (1 - v)**gamma for v in sorted(p)[-2:]) for p in probabilities]
    np.testing.assert_allclose(score('gen', top_classes=2), top_two, rtol=1e-12)
    assert not np.allclose(top_two, full)


def test_logit_scores_rank_a_confident_sample_above_a_flat_one():
    logits = np.array([[5.0, 0.0, 0.0], [1.0, 1.0, 1.0]], dtype=np.float32)
    for name in ('msp', 'mls', 'energy', 'entropy', 'gen'):
        values = build_score(name).fit().score(FeatureBank(features=None, logits=logits))
        assert values[0] > values[1], name


@pytest.mark.parametrize('kwargs', [dict(temperature=0.0)])
def test_bad_hyper_parameters_raise(kwargs):
    with pytest.raises(ValueError):
        build_score(dict(type='EnergyScore', **kwargs))
