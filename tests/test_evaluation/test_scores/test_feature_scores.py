"""KNN, Mahalanobis, relative Mahalanobis, ViM, SHE, KL matching, GradNorm and OpenMax against direct numpy
computations (and autograd / scipy where the reference is a different algorithm)."""
import numpy as np
import pytest
import torch
from scipy import stats

from openmixosr.evaluation.scores import (FeatureBank, GradNormScore, KLMatchingScore, KNNScore, MahalanobisScore,
                                          OpenMaxScore, RelativeMahalanobisScore, SHEScore, ViMScore)
from openmixosr.evaluation.scores.knn import kth_nearest_distance
from openmixosr.evaluation.scores.openmax import fit_weibull


def test_knn_by_hand():
    # Normalised training points on the unit circle at 0, 90 and 180 degrees; the test point at 0 degrees.
    train = FeatureBank(np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]], dtype=np.float32), np.zeros((3, 2)))
    test = FeatureBank(np.array([[5.0, 0.0]], dtype=np.float32), np.zeros((1, 2)))
    distances = {1: 0.0, 2: np.sqrt(2.0), 3: 2.0}
    for k, distance in distances.items():
        np.testing.assert_allclose(KNNScore(k=k).fit(None, train).score(test), [-distance], atol=1e-6)


def test_chunked_knn_equals_the_full_distance_matrix():
    rng = np.random.default_rng(1)
    queries, bank = rng.normal(size=(37, 5)), rng.normal(size=(50, 5))
    full = np.sort(np.linalg.norm(queries[:, None] - bank[None], axis=2), axis=1)[:, 6]
    # 4 bytes x 50 rows x 3 queries per chunk: 13 chunks, the last one short
    np.testing.assert_allclose(kth_nearest_distance(queries, bank, 7, max_chunk_bytes=600), full, rtol=1e-5)


def test_mahalanobis_against_numpy_linalg_on_20_points():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], 10)
    features = rng.normal(size=(20, 3)) + np.array([[0, 0, 0], [3, 1, 0]])[labels]
    train = FeatureBank(features.astype(np.float32), np.zeros((20, 2), dtype=np.float32), labels)
    score = MahalanobisScore().fit(None, train)
    means = np.stack([features[labels == c].mean(axis=0) for c in (0, 1)])
    residuals = np.concatenate([features[labels == c] - means[c] for c in (0, 1)])
    precision = np.linalg.inv(residuals.T @ residuals / 20)
    np.testing.assert_allclose(score.means, means, rtol=1e-5)
    np.testing.assert_allclose(score.precision, precision, rtol=1e-4)
    test_features = rng.normal(size=(4, 3))
    expected = -np.array([min((x - m) @ precision @ (x - m) for m in means) for x in test_features])
    test = FeatureBank(test_features.astype(np.float32), np.zeros((4, 2), dtype=np.float32))
    np.testing.assert_allclose(score.score(test), expected, rtol=1e-4)

    relative = RelativeMahalanobisScore().fit(None, train)
    centred = features - features.mean(axis=0)
    background_precision = np.linalg.inv(np.cov(centred.T, bias=True))
    background = np.array([(x - features.mean(axis=0)) @ background_precision @ (x - features.mean(axis=0))
                           for x in test_features])
    np.testing.assert_allclose(relative.score(test), expected + background, rtol=1e-4)


def test_vim_against_a_direct_computation(head_and_banks):
    head, train, test = head_and_banks
    dim = 3
    vim = ViMScore(dim=dim).fit(head, train)
    weight, bias = head.weight.astype(np.float64), head.bias.astype(np.float64)
    # the origin solves W o = -b with the smallest norm; the principal subspace from an SVD of the shifted features
    origin = np.linalg.lstsq(weight, -bias, rcond=None)[0]
    shifted = train.features - origin
    _, _, right = np.linalg.svd(shifted, full_matrices=True)
    residual_basis = right[dim:].T
    alpha = train.logits.max(axis=1).mean() / np.linalg.norm(shifted @ residual_basis, axis=1).mean()
    virtual = alpha * np.linalg.norm((test.features - origin) @ residual_basis, axis=1)
    energy = np.log(np.exp(test.logits.astype(np.float64)).sum(axis=1))
    np.testing.assert_allclose(vim.origin, origin, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(vim.alpha), alpha, rtol=1e-4)
    np.testing.assert_allclose(vim.score(test), energy - virtual, rtol=1e-4)


def test_vim_default_dimension_follows_the_width_rule():
    from openmixosr.evaluation.scores.vim import principal_dim
    assert [principal_dim(width) for width in (2048, 4096, 768, 1024, 512, 64)] == [1000, 1000, 512, 512, 256, 32]


def test_she_uses_correctly_classified_class_means_of_the_predicted_class():
    features = np.array([[1.0, 0.0], [3.0, 0.0], [9.0, 9.0], [0.0, 2.0]], dtype=np.float32)
    logits = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)  # sample 2 (label 0) is misclassified
    train = FeatureBank(features, logits, np.array([0, 0, 0, 1]))
    she = SHEScore().fit(None, train)
    np.testing.assert_allclose(she.patterns, [[2.0, 0.0], [0.0, 2.0]])
    test = FeatureBank(np.array([[1.0, 1.0], [2.0, 3.0]], dtype=np.float32),
                       np.array([[5, 0], [0, 5]], dtype=np.float32))
    np.testing.assert_allclose(she.score(test), [2.0, 6.0])


def test_kl_matching_by_hand():
    train_logits = np.log(np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]))
    train = FeatureBank(np.zeros((3, 1), dtype=np.float32), train_logits.astype(np.float32))
    klm = KLMatchingScore().fit(None, train)
    templates = [np.array([0.6, 0.25, 0.15]), np.array([0.1, 0.1, 0.8])]  # predicted 0: rows 0, 1; predicted 2: row 2
    test_probabilities = np.array([[0.2, 0.3, 0.5]])
    expected = -min(stats.entropy(test_probabilities[0], template) for template in templates)
    test = FeatureBank(None, np.log(test_probabilities).astype(np.float32))
    np.testing.assert_allclose(klm.score(test), [expected], rtol=1e-5)
    assert klm.log_templates.shape == (2, 3)  # class 1 is never predicted: no template


def test_gradnorm_equals_the_autograd_weight_gradient_norm():
    rng = np.random.default_rng(3)
    features = torch.tensor(np.abs(rng.normal(size=(4, 6))), dtype=torch.float64)
    layer = torch.nn.Linear(6, 5).double()
    expected = []
    for feature in features:
        layer.zero_grad()
        log_probs = torch.log_softmax(layer(feature[None]), dim=1)
        loss = -(log_probs / 5).sum()  # KL(u || softmax) up to the constant entropy of u
        loss.backward()
        expected.append(layer.weight.grad.abs().sum().item())
    with torch.no_grad():
        logits = layer(features)
    test = FeatureBank(features.float().numpy(), logits.float().numpy())
    np.testing.assert_allclose(GradNormScore().fit().score(test), expected, rtol=1e-5)


def test_weibull_fit_matches_scipy_maximum_likelihood():
    samples = stats.weibull_min.rvs(2.5, scale=3.0, size=200, random_state=4)
    shape, scale = fit_weibull(samples)
    reference_shape, _, reference_scale = stats.weibull_min.fit(samples, floc=0)
    assert shape == pytest.approx(reference_shape, rel=1e-3)
    assert scale == pytest.approx(reference_scale, rel=1e-3)


def test_openmax_by_hand():
    # Two classes; activation vectors = logits. Class 0's correct AVs (2, 0) and (4, 0): MAV (3, 0), distances 1, 1;
    # class 1's (0, 2), (0, 6): MAV (0, 4), distances 2, 2. Equal samples: the Weibull CDF is a step at the distance.
    logits = np.array([[2, 0], [4, 0], [0, 2], [0, 6]], dtype=np.float32)
    train = FeatureBank(np.zeros((4, 1), dtype=np.float32), logits, np.array([0, 0, 1, 1]))
    with pytest.warns(UserWarning, match=r'tail_size=20, but classes \[0, 1\] have only \[2, 2\] correctly'):
        openmax = OpenMaxScore(tail_size=20, alpha=2).fit(None, train)  # libMR warns likewise
    np.testing.assert_allclose(openmax.mean_activations, [[3, 0], [0, 4]])
    np.testing.assert_allclose(openmax.weibull_scale, [1, 2], rtol=1e-6)
    # Test v = (3, 0.5): distance to MAV 0 = 0.5 (CDF ~ 0), to MAV 1 = sqrt(9 + 12.25) > 2 (CDF = 1).
    # Ranks: class 0 first (weight 1), class 1 second (weight 1/2): w = (1 - 0, 1 - 1/2) = (1, 0.5).
    test = FeatureBank(None, np.array([[3.0, 0.5]], dtype=np.float32))
    recalibrated, unknown = np.array([3.0, 0.25]), 0.25
    expected = np.log(np.exp(recalibrated).sum()) - unknown  # log(P_known / P_unknown)
    np.testing.assert_allclose(openmax.score(test), [expected], rtol=1e-6)
    probabilities = np.exp(np.r_[unknown, recalibrated]) / np.exp(np.r_[unknown, recalibrated]).sum()
    assert 1 / (1 + np.exp(-openmax.score(test)[0])) == pytest.approx(1 - probabilities[0])


def test_openmax_needs_two_correct_samples_per_class():
    logits = np.array([[2, 0], [4, 0], [0, 2]], dtype=np.float32)
    train = FeatureBank(np.zeros((3, 1), dtype=np.float32), logits, np.array([0, 0, 1]))
    with pytest.raises(ValueError, match='class 1 has 1 correctly classified'):
        OpenMaxScore(tail_size=2).fit(None, train)


def test_openmax_tail_size_within_every_class_fits_without_a_warning(head_and_banks, recwarn):
    head, train, _ = head_and_banks  # 20 training samples per class, all correctly classified
    OpenMaxScore(tail_size=20).fit(head, train)
    assert not [w for w in recwarn if 'OpenMax' in str(w.message)]
    with pytest.warns(UserWarning, match=r'tail_size=21, but classes \[0, 1, 2\] have only \[20, 20, 20\]'):
        OpenMaxScore(tail_size=21).fit(head, train)
