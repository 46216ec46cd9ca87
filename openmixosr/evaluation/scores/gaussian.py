"""Gaussian scores of the pooled features: Mahalanobis (class means, shared covariance) and relative Mahalanobis."""
from typing import Tuple

import numpy as np

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore


def class_means_and_shared_precision(features: np.ndarray, labels: np.ndarray,
                                     num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Class means and the (pseudo-)inverse of the covariance shared by all classes (Lee et al. 2018, Eq. 1).

    ``Sigma = 1/N sum_c sum_{i: y_i = c} (f_i - mu_c)(f_i - mu_c)^T``; its Moore-Penrose inverse (features of a
    ReLU network are often rank-deficient).

    Args:
        features (np.ndarray): [N, D].
        labels (np.ndarray): [N] class ids in [0, num_classes).
        num_classes (int): C; every class must have a sample.

    Returns:
        tuple[np.ndarray, np.ndarray]: Means [C, D] and precision [D, D], float64.
    """
    features = features.astype(np.float64)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(f'classes {np.flatnonzero(counts == 0).tolist()} have no training samples; the class-'
                         'conditional Gaussians need every class.')
    means = np.zeros((num_classes, features.shape[1]))
    np.add.at(means, labels, features)
    means /= counts[:, None]
    centred = features - means[labels]
    covariance = centred.T @ centred / features.shape[0]
    return means, np.linalg.pinv(covariance, hermitian=True)


def squared_mahalanobis(features: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """``(f - mu_c)^T P (f - mu_c)`` for every sample and mean, [N, C] float64 (clamped at 0)."""
    features = features.astype(np.float64)
    projected = features @ precision
    squared = ((projected * features).sum(axis=1, keepdims=True) - 2 * projected @ means.T +
               ((means @ precision) * means).sum(axis=1)[None, :])
    return np.maximum(squared, 0.0)


@OPEN_SET_SCORES.register_module()
class MahalanobisScore(OpenSetScore):
    """Negative smallest squared Mahalanobis distance to a class mean, ``-min_c (f - mu_c)^T Sigma^-1 (f - mu_c)``.

    Lee, Lee, Lee & Shin, "A Simple Unified Framework for Detecting Out-of-Distribution Samples and Adversarial
    Attacks", NeurIPS 2018: class means and a shared covariance of the training features (Eq. 1), confidence score
    ``M(x) = max_c -(f(x) - mu_c)^T Sigma^-1 (f(x) - mu_c)`` (Eq. 2), on the pooled features only: without the
    input pre-processing and the feature ensemble of the paper (as OpenOOD's MDS).
    """
    name = 'mahalanobis'
    needs_train_set = True
    needs_train_labels = True
    uses_features = True
    fitted_attributes = ('means', 'precision')

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        self.means, self.precision = class_means_and_shared_precision(train.features, train.labels,
                                                                      self.num_classes)

    def _score(self, test: FeatureBank) -> np.ndarray:
        return -squared_mahalanobis(test.features, self.means, self.precision).min(axis=1)


@OPEN_SET_SCORES.register_module()
class RelativeMahalanobisScore(OpenSetScore):
    """Negative smallest relative Mahalanobis distance, ``-min_c (MD_c(f) - MD_0(f))``.

    Ren, Fort, Liu, Roy, Padhy & Lakshminarayanan, "A Simple Fix to Mahalanobis Distance for Improving Near-OOD
    Detection", arXiv:2106.09022 (2021): ``RMD_c(x) = MD_c(x) - MD_0(x)`` (Eq. 4), where ``MD_c`` uses the class
    means and shared covariance of :class:`MahalanobisScore` and ``MD_0`` the background Gaussian fitted to all
    training features, ignoring the labels (its own mean and covariance); confidence ``-min_c RMD_c(x)``.
    """
    name = 'rmds'
    needs_train_set = True
    needs_train_labels = True
    uses_features = True
    needs_two_classes = True  # one class = the background Gaussian: RMD = 0
    fitted_attributes = ('means', 'precision', 'background_mean', 'background_precision')

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        self.means, self.precision = class_means_and_shared_precision(train.features, train.labels,
                                                                      self.num_classes)
        single_class = np.zeros(train.features.shape[0], dtype=np.int64)
        self.background_mean, self.background_precision = class_means_and_shared_precision(
            train.features, single_class, 1)

    def _score(self, test: FeatureBank) -> np.ndarray:
        class_distances = squared_mahalanobis(test.features, self.means, self.precision)
        background = squared_mahalanobis(test.features, self.background_mean, self.background_precision)
        return -(class_distances - background).min(axis=1)
