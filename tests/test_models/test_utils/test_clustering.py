"""Clustering helpers of AMix-C: seeded k-means on numpy features, and the gather of memory rows (one process)."""
import numpy as np
import pytest
import torch

from openmixosr.models.utils.clustering import gather_rows, kmeans_assign


def test_kmeans_assign_is_seeded_and_validates():
    features = np.random.RandomState(0).randn(50, 4)
    labels_a, centres_a = kmeans_assign(features, 5, seed=1)
    labels_b, centres_b = kmeans_assign(features, 5, seed=1)
    assert np.array_equal(labels_a, labels_b) and np.array_equal(centres_a, centres_b)
    for cluster in range(5):  # a centroid is the mean of its members
        np.testing.assert_allclose(centres_a[cluster], features[labels_a == cluster].mean(0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='num_clusters'):
        kmeans_assign(features, 51, seed=0)
    features[3, 2] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        kmeans_assign(features, 5, seed=0)


def test_gather_rows_is_identity_on_one_process():
    indices, rows = torch.tensor([4, 1]), torch.randn(2, 3)
    gathered_indices, gathered_rows = gather_rows(indices, rows)
    assert torch.equal(gathered_indices, indices) and torch.equal(gathered_rows, rows)
