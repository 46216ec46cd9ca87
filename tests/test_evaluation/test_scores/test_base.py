"""The registry, the builder, the state dict round trip, and clear errors on bad input."""
import io

import numpy as np
import pytest

from openmixosr.evaluation.scores import (FeatureBank, FinalLinear, KNNScore, MahalanobisScore, MaxLogitScore,
                                          OpenSetScore, ReActScore, all_one_pass_scores, build_score, score_configs)
from openmixosr.registry import OPEN_SET_SCORES


SCORE_CONFIGS = score_configs()
ALL_ONE_PASS_SCORES = all_one_pass_scores()


def test_every_score_is_registered_and_named_by_its_key():
    assert len(ALL_ONE_PASS_SCORES) == len(SCORE_CONFIGS) == 18
    assert list(SCORE_CONFIGS)[:3] == ['msp', 'mls', 'energy']  # the order of the tables: registration order
    for key, config in SCORE_CONFIGS.items():
        assert OPEN_SET_SCORES.get(config['type']) is not None
        assert build_score(key).name == key
        assert build_score(dict(config)).name == key
    assert isinstance(build_score('MaxLogitScore'), MaxLogitScore)
    assert build_score(dict(type='KNNScore', k=7)).k == 7
    with pytest.raises(KeyError, match='unknown open-set score'):
        build_score('odin')


def test_a_score_registered_outside_the_package_is_known_by_its_name(monkeypatch):
    """The names and 'all' are derived from the registry: a user's score joins them, a clash is refused."""
    class HalfMaxLogit(OpenSetScore):
        name = 'half_mls'

        def _score(self, test):
            return test.logits.astype(np.float64).max(axis=1) / 2

    monkeypatch.setitem(OPEN_SET_SCORES._module_dict, 'HalfMaxLogit', HalfMaxLogit)
    assert score_configs()['half_mls'] == dict(type='HalfMaxLogit') and len(all_one_pass_scores()) == 19
    assert isinstance(build_score('half_mls'), HalfMaxLogit)

    class Clash(HalfMaxLogit):
        name = 'knn'

    monkeypatch.setitem(OPEN_SET_SCORES._module_dict, 'Clash', Clash)
    with pytest.raises(ValueError, match="KNNScore and Clash are both named 'knn'"):
        score_configs()


def fitted_scores(head, train):
    for config in ALL_ONE_PASS_SCORES:
        config = dict(config)
        if config['type'] == 'KNNScore':
            config['k'] = 5
        if config['type'] == 'ViMScore':
            config['dim'] = 3
        yield config, build_score(config).fit(head, train)


def test_state_dict_round_trip_gives_identical_scores(head_and_banks):
    head, train, test = head_and_banks
    for config, score in fitted_scores(head, train):
        state = score.state_dict()
        assert all(isinstance(value, np.ndarray) for value in state.values()), score
        # through an .npz file, as a cache would store it (no pickled objects)
        restored = build_score(config)
        restored.load_state_dict(dict(np.load(_saved(state), allow_pickle=False)))
        np.testing.assert_array_equal(restored.score(test), score.score(test), err_msg=score.name)


def _saved(state):
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    buffer.seek(0)
    return buffer


def test_loading_a_state_of_other_hyper_parameters_or_keys_fails(head_and_banks):
    head, train, _ = head_and_banks
    state = KNNScore(k=5).fit(head, train).state_dict()
    with pytest.raises(ValueError, match='k=5'):
        KNNScore(k=6).load_state_dict(state)
    with pytest.raises(KeyError, match='missing'):
        MahalanobisScore().load_state_dict(state)


def test_scoring_before_fitting_fails(head_and_banks):
    _, _, test = head_and_banks
    with pytest.raises(RuntimeError, match='not fitted'):
        MaxLogitScore().score(test)


def test_nan_inputs_get_a_clear_error(head_and_banks):
    head, train, test = head_and_banks
    bad_features = train.features.copy()
    bad_features[3, 2] = np.nan
    with pytest.raises(ValueError, match='training features contain NaN'):
        KNNScore(k=5).fit(head, FeatureBank(bad_features, train.logits, train.labels))
    knn = KNNScore(k=5).fit(head, train)
    with pytest.raises(ValueError, match='test features contain NaN'):
        knn.score(FeatureBank(np.full_like(test.features, np.nan), test.logits))
    with pytest.raises(ValueError, match='test logits contain inf'):
        MaxLogitScore().fit(head).score(FeatureBank(test.features, np.full_like(test.logits, np.inf)))
    with pytest.raises(ValueError, match='weights contain NaN'):
        MaxLogitScore().fit(FinalLinear(np.full_like(head.weight, np.nan), head.bias))


def test_missing_or_empty_training_bank_gets_a_clear_error(head_and_banks):
    head, train, _ = head_and_banks
    with pytest.raises(ValueError, match='no training bank'):
        KNNScore().fit(head, None)
    empty = FeatureBank(train.features[:0], train.logits[:0], train.labels[:0])
    with pytest.raises(ValueError, match='training bank is empty'):
        ReActScore().fit(head, empty)
    with pytest.raises(ValueError, match='needs the training labels'):
        MahalanobisScore().fit(head, FeatureBank(train.features, train.logits))


def test_k_larger_than_the_bank_gets_a_clear_error(head_and_banks):
    head, train, _ = head_and_banks
    with pytest.raises(ValueError, match='k=61 is larger than the training bank \\(60 samples\\)'):
        KNNScore(k=61).fit(head, train)


def test_width_mismatches_get_a_clear_error(head_and_banks):
    head, train, test = head_and_banks
    narrow = FeatureBank(train.features[:, :5], train.logits, train.labels)
    with pytest.raises(ValueError, match='training features have width 5, but the final linear layer expects 8'):
        ReActScore().fit(head, narrow)
    with pytest.raises(ValueError, match='training logits have width 2'):
        ReActScore().fit(head, FeatureBank(train.features, train.logits[:, :2], train.labels))
    knn = KNNScore(k=5).fit(head, train)
    with pytest.raises(ValueError, match='test features have width 7, but the fitted score expects 8'):
        knn.score(FeatureBank(test.features[:, :7], test.logits))
    with pytest.raises(ValueError, match='bias must have shape'):
        MaxLogitScore().fit(FinalLinear(head.weight, head.bias[:2]))
    with pytest.raises(ValueError, match='training labels must be class ids'):
        MahalanobisScore().fit(head, FeatureBank(train.features, train.logits, train.labels + 1))


LABEL_SCORES = [key for key, config in SCORE_CONFIGS.items() if build_score(config).needs_train_labels]


def test_the_scores_that_read_training_labels():
    assert sorted(LABEL_SCORES) == ['mahalanobis', 'openmax', 'rmds', 'she']


@pytest.mark.parametrize('key', LABEL_SCORES)
def test_non_integer_or_non_finite_training_labels_are_refused(key, head_and_banks):
    """A cast would turn NaN into some class and 1.5 into 1 (Mahalanobis then failed with an unrelated message, SHE
    and OpenMax dropped samples): refused before any score sees them, in OpenSetScore.fit."""
    head, train, test = head_and_banks
    for bad, message in ((np.where(train.labels == 2, np.nan, train.labels), 'training labels contain NaN'),
                         (np.where(train.labels == 2, np.inf, train.labels), 'training labels contain inf'),
                         (train.labels + 0.5 * (train.labels == 1), r'20 fractional values \(e.g. \[1.5'),
                         (train.labels.astype(str), 'must be integer class ids, got dtype <U'),
                         (train.labels.astype(bool), 'must be integer class ids, got dtype bool')):
        with pytest.raises(ValueError, match=message):
            build_score(key).fit(head, FeatureBank(train.features, train.logits, bad))
    whole = FeatureBank(train.features, train.logits, train.labels.astype(np.float64))  # 0.0, 1.0, 2.0: class ids
    np.testing.assert_array_equal(build_score(key).fit(head, whole).score(test),
                                  build_score(key).fit(head, train).score(test))


CONSTANT_FOR_ONE_CLASS = {'msp', 'entropy', 'gen', 'klm', 'rmds', 'gradnorm'}


def test_a_one_class_head_is_refused_by_exactly_the_scores_it_makes_constant(head_and_banks):
    head, train, test = head_and_banks
    one = FinalLinear(head.weight[:1], head.bias[:1])
    one_train = FeatureBank(train.features, train.logits[:, :1], np.zeros_like(train.labels))
    one_test = FeatureBank(test.features, test.logits[:, :1])
    refused = set()
    for config, _ in fitted_scores(head, train):
        score = build_score(config)
        try:
            score.fit(one, one_train)
        except ValueError as error:
            assert 'one-class head' in str(error), (score.name, error)
            refused.add(score.name)
            score.needs_two_classes = False  # what it would give: the same value for every sample
            assert np.ptp(score.fit(one, one_train).score(one_test)) < 1e-6, score.name
            continue
        assert np.ptp(score.score(one_test)) > 1e-6, f'{score.name} is constant for one class but does not refuse it'
    assert refused == CONSTANT_FOR_ONE_CLASS


def test_one_class_logits_are_refused_at_score_time_too(head_and_banks):
    """A logit score fitted without the final layer learns C only from the test logits."""
    _, _, test = head_and_banks
    with pytest.raises(ValueError, match='MSPScore gives every sample the same score with a one-class head'):
        build_score('msp').fit().score(FeatureBank(test.features, test.logits[:, :1]))
    assert build_score('mls').fit().score(FeatureBank(test.features, test.logits[:, :1])).shape == (6, )
