"""KNN: distance to the k-th nearest normalised training feature, by chunked exact search in torch."""
import numpy as np
import torch

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore


def l2_normalise(features: np.ndarray) -> np.ndarray:
    """Rows divided by their L2 norm (a zero row stays zero), float32."""
    features = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def kth_nearest_distance(queries: np.ndarray, bank: np.ndarray, k: int, max_chunk_bytes: int = 2**28) -> np.ndarray:
    """Euclidean distance of each query to its k-th nearest bank row, exact, in chunks of queries.

    Each chunk holds ``rows x len(bank)`` float32 distances, with ``rows`` chosen so that this matrix stays under
    ``max_chunk_bytes``; memory is ``O(bank)`` plus one chunk, whatever the number of queries.

    Args:
        queries (np.ndarray): [N, D].
        bank (np.ndarray): [M, D], M >= k.
        k (int): 1-based rank of the neighbour.
        max_chunk_bytes (int): Budget of one chunk's distance matrix. Defaults to 256 MiB.

    Returns:
        np.ndarray: [N] float64.
    """
    bank_tensor = torch.from_numpy(np.ascontiguousarray(bank, dtype=np.float32))
    bank_squared = (bank_tensor * bank_tensor).sum(dim=1)
    rows = max(1, max_chunk_bytes // (4 * bank_tensor.shape[0]))
    distances = []
    with torch.no_grad():
        for start in range(0, queries.shape[0], rows):
            chunk = torch.from_numpy(np.ascontiguousarray(queries[start:start + rows], dtype=np.float32))
            squared = (chunk * chunk).sum(dim=1, keepdim=True) - 2 * chunk @ bank_tensor.T + bank_squared
            kth = torch.topk(squared, k, dim=1, largest=False, sorted=True).values[:, -1]
            distances.append(kth.clamp_min(0).sqrt().double().numpy())
    return np.concatenate(distances) if distances else np.zeros(0)


@OPEN_SET_SCORES.register_module()
class KNNScore(OpenSetScore):
    """Negative distance to the k-th nearest L2-normalised training feature, ``-||z - z_(k)||_2``.

    Sun, Ming, Zhu & Li, "Out-of-Distribution Detection with Deep Nearest Neighbors", ICML 2022 (Sec. 3,
    Algorithm 1: normalised features ``z = f / ||f||``; the decision ``-r_k(z) >= lambda``). Exact search, in
    query chunks with torch (:func:`kth_nearest_distance`); no faiss. OpenOOD's port scores the squared distance,
    which ranks the same.

    Args:
        k (int): Defaults to 50, the paper's value for CIFAR-10 (1000 on ImageNet).
        max_chunk_bytes (int): Memory budget of one chunk of the distance matrix. Defaults to 256 MiB.
    """
    name = 'knn'
    needs_train_set = True
    uses_features = True
    fitted_attributes = ('bank', )

    def __init__(self, k: int = 50, max_chunk_bytes: int = 2**28) -> None:
        super().__init__()
        if k < 1:
            raise ValueError(f'k must be >= 1, got {k}')
        self.k, self.max_chunk_bytes = int(k), int(max_chunk_bytes)

    def hyper_parameters(self):
        return dict(k=self.k)

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        if self.k > train.features.shape[0]:
            raise ValueError(f'k={self.k} is larger than the training bank ({train.features.shape[0]} samples).')
        self.bank = l2_normalise(train.features)

    def _score(self, test: FeatureBank) -> np.ndarray:
        return -kth_nearest_distance(l2_normalise(test.features), self.bank, self.k, self.max_chunk_bytes)
