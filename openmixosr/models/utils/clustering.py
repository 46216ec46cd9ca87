"""Pseudo labels for AMix-C: k-means on a memory of momentum embeddings, and the gather it needs under DDP."""
from typing import Tuple

import numpy as np
import torch
from mmengine import dist


def kmeans_assign(features: np.ndarray, num_clusters: int, seed: int,
                  n_init: int = 3) -> Tuple[np.ndarray, np.ndarray]:
    """Cluster rows of ``features`` into ``num_clusters`` groups with scikit-learn's k-means.

    Args:
        features (ndarray): [M, D] embeddings (the memory of L2-normalised momentum features).
        num_clusters (int): K, at most M.
        seed (int): ``random_state`` of k-means, so that the assignment repeats.
        n_init (int): Number of k-means restarts (the best inertia wins). Defaults to 3.

    Returns:
        tuple[ndarray, ndarray]: [M] int64 cluster ids in ``0..K-1`` and the [K, D] float32 centroids.
    """
    from sklearn.cluster import KMeans  # local: only AMix-C needs it

    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f'features must be [M, D], got shape {features.shape}')
    if not 1 <= num_clusters <= len(features):
        raise ValueError(f'num_clusters must be in 1..{len(features)} (the number of samples), got {num_clusters}')
    if not np.isfinite(features).all():
        raise ValueError('k-means got NaN/Inf features: the momentum encoder diverged.')
    kmeans = KMeans(n_clusters=num_clusters, n_init=n_init, random_state=seed)
    labels = kmeans.fit_predict(features).astype(np.int64)
    return labels, kmeans.cluster_centers_.astype(np.float32)


def gather_rows(indices: torch.Tensor, rows: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """All ranks' ``(indices [n], rows [n, D])`` concatenated, allowing a different ``n`` on every rank.

    MMEngine's ``all_gather`` needs equal shapes; the last batch of an unshuffled, undropped pass is shorter on some
    ranks, so every rank pads to the longest and the padding is cut off after the gather.
    """
    if dist.get_world_size() == 1:
        return indices, rows
    count = torch.tensor([indices.numel()], device=indices.device)
    counts = [int(c) for c in dist.all_gather(count)]
    longest = max(counts)
    pad = longest - indices.numel()
    indices = torch.cat([indices, indices.new_zeros(pad)])
    rows = torch.cat([rows, rows.new_zeros(pad, rows.size(1))])
    gathered_indices = dist.all_gather(indices)
    gathered_rows = dist.all_gather(rows)
    return (torch.cat([part[:n] for part, n in zip(gathered_indices, counts)]),
            torch.cat([part[:n] for part, n in zip(gathered_rows, counts)]))
