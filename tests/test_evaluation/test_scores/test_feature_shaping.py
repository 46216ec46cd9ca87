"""ReAct, ASH and DICE: hand computations, fitted statistics, and recomputed logits equal to the network's own when
nothing is clipped or pruned."""
import numpy as np
import pytest

from openmixosr.evaluation.scores import ASHScore, DICEScore, FeatureBank, FinalLinear, ReActScore


def numpy_energy(logits):
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))[:, 0]


def test_react_threshold_is_the_percentile_of_all_training_activations(head_and_banks):
    head, train, test = head_and_banks
    react = ReActScore().fit(head, train)
    flat = np.sort(train.features.ravel().astype(np.float64))
    position = 0.9 * (flat.size - 1)  # linear interpolation between order statistics
    low = int(np.floor(position))
    expected = flat[low] + (position - low) * (flat[low + 1] - flat[low])
    assert float(react.threshold) == pytest.approx(expected, rel=1e-6)
    clipped = np.minimum(test.features, expected)
    np.testing.assert_allclose(react.score(test), numpy_energy(clipped @ head.weight.T + head.bias), rtol=1e-5)


def test_react_equals_energy_of_the_given_logits_when_nothing_is_clipped(head_and_banks):
    head, train, test = head_and_banks
    react = ReActScore(percentile=50).fit(head, train)
    features = np.minimum(test.features, float(react.threshold) * 0.5)  # every unit below the threshold
    small = FeatureBank(features, features @ head.weight.T + head.bias)
    assert (small.features < react.threshold).all()
    np.testing.assert_allclose(react.score(small), numpy_energy(small.logits), rtol=1e-6)


def test_ash_variants_by_hand():
    # One sample, 4 units; percentile 50 keeps k = 2 units (3.0 and 2.0). s1 = 6.5, s2 = 5.
    features = np.array([[1.0, 3.0, 0.5, 2.0]], dtype=np.float32)
    head = FinalLinear(weight=np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0]], dtype=np.float32),
                       bias=np.array([0.5, -0.5], dtype=np.float32))
    shaped = dict(p=[0.0, 3.0, 0.0, 2.0], b=[0.0, 3.25, 0.0, 3.25],
                  s=[0.0, 3.0 * np.exp(6.5 / 5), 0.0, 2.0 * np.exp(6.5 / 5)])
    for variant, expected in shaped.items():
        ash = ASHScore(variant, percentile=50).fit(head)
        assert ash.name == f'ash_{variant}'
        np.testing.assert_allclose(ash.shape(features), [expected], rtol=1e-6)
        logits = np.array([[expected[0] + 0.5, sum(expected[1:]) - 0.5]])
        np.testing.assert_allclose(ash.score(FeatureBank(features, features @ head.weight.T + head.bias)),
                                   numpy_energy(logits), rtol=1e-5)


def test_ash_p_and_dice_without_pruning_reproduce_the_given_logits(head_and_banks):
    head, train, test = head_and_banks
    expected = numpy_energy(test.logits)
    np.testing.assert_allclose(ASHScore('p', percentile=0).fit(head).score(test), expected, rtol=1e-6)
    dice = DICEScore(sparsity=0).fit(head, train)
    assert dice.mask.all()
    np.testing.assert_allclose(dice.score(test), expected, rtol=1e-6)


def test_dice_mask_keeps_the_largest_contributions():
    # mean feature [1, 2]; contributions W * mean = [[3, -2], [0.5, 8]]; sparsity 50 keeps the 2 largest: 8 and 3.
    features = np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float32)
    head = FinalLinear(weight=np.array([[3.0, -1.0], [0.5, 4.0]], dtype=np.float32),
                       bias=np.array([0.0, 1.0], dtype=np.float32))
    train = FeatureBank(features, features @ head.weight.T + head.bias)
    dice = DICEScore(sparsity=50).fit(head, train)
    np.testing.assert_array_equal(dice.mask, [[True, False], [False, True]])
    test = FeatureBank(np.array([[1.0, 1.0]], dtype=np.float32), np.array([[2.0, 5.5]], dtype=np.float32))
    np.testing.assert_allclose(dice.score(test), numpy_energy([[3.0, 5.0]]), rtol=1e-6)


@pytest.mark.parametrize('build', [lambda: ReActScore(percentile=100), lambda: ASHScore('x'),
                                   lambda: DICEScore(sparsity=-1)])
def test_bad_hyper_parameters_raise(build):
    with pytest.raises(ValueError):
        build()


def test_recomputing_scores_need_the_final_layer(head_and_banks):
    _, train, _ = head_and_banks
    with pytest.raises(ValueError, match='final linear layer'):
        ReActScore().fit(None, train)
