"""ReAct, ASH and DICE: hand computations, fitted statistics, and recomputed logits equal to the network's own when
nothing is clipped or pruned (DICE at sparsity 0 drops the smallest contribution, as the authors' code)."""
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


def test_ash_p_without_pruning_reproduces_the_given_logits(head_and_banks):
    head, _, test = head_and_banks
    expected = numpy_energy(test.logits)
    np.testing.assert_allclose(ASHScore('p', percentile=0).fit(head).score(test), expected, rtol=1e-6)


def test_dice_at_sparsity_0_drops_only_the_smallest_contribution(head_and_banks):
    """As the authors' code and OpenOOD (entries strictly above the 0th percentile, the minimum)."""
    head, train, test = head_and_banks
    dice = DICEScore(sparsity=0).fit(head, train)
    contribution = train.features.astype(np.float64).mean(axis=0) * head.weight
    expected_mask = np.ones_like(dice.mask)
    expected_mask[np.unravel_index(np.argmin(contribution), contribution.shape)] = False
    np.testing.assert_array_equal(dice.mask, expected_mask)
    np.testing.assert_allclose(dice.score(test), numpy_energy(test.features @ (head.weight * expected_mask).T +
                                                              head.bias), rtol=1e-5)


@pytest.mark.parametrize('n, sparsity, kept', [(250, 99, 3), (5120, 99, 52), (5120, 90, 512), (768, 90, 77),
                                               (3072, 90, 308), (101, 50, 50)])
def test_dice_keeps_the_entries_above_the_percentile(n, sparsity, kept):
    """n distinct contributions: n - ceil((n - 1) p / 100) kept, one fewer when (n - 1) p / 100 is whole (101 at 50:
    the median itself is dropped); the paper's top-k would keep 2, 51, 512, 77, 307 and 51."""
    rng = np.random.default_rng(n)
    weight = rng.permutation(np.arange(1, n + 1, dtype=np.float32))[None, :]  # one class, n units, mean feature 1
    head = FinalLinear(weight=weight, bias=np.zeros(1, dtype=np.float32))
    features = np.ones((2, n), dtype=np.float32)
    dice = DICEScore(sparsity=sparsity).fit(head, FeatureBank(features, features @ weight.T))
    assert dice.mask.sum() == kept
    assert weight[dice.mask].min() > weight[~dice.mask].max()  # the largest ones


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
