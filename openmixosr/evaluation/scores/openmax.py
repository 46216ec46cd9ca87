"""OpenMax: Weibull models of the distances to the class mean activation vectors recalibrate the top logits."""
import warnings
from typing import Tuple

import numpy as np
from scipy.special import logsumexp

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore


def fit_weibull(samples: np.ndarray, iterations: int = 200) -> Tuple[float, float]:
    """Maximum-likelihood two-parameter Weibull (location 0) of positive samples: ``(shape k, scale lambda)``.

    Solves the profile-likelihood equation ``sum x^k ln x / sum x^k - 1/k - mean(ln x) = 0`` (increasing in k) by
    bisection on ``log k`` in [1e-3, 1e4], on the samples divided by their maximum (scale-free, no overflow); then
    ``lambda = (mean x^k)^(1/k)``. Equal samples have no finite MLE and get the upper bound of k (a step CDF).

    Args:
        samples (np.ndarray): [T] positive values, T >= 2.
        iterations (int): Bisection steps. Defaults to 200 (far below float64 resolution of log k).

    Returns:
        tuple[float, float]: Shape and scale.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.size < 2 or (samples <= 0).any():
        raise ValueError(f'a Weibull fit needs >= 2 positive samples, got {samples.tolist()}')
    largest = samples.max()
    log_ratio = np.log(samples / largest)

    def profile(log_shape: float) -> float:
        powers = np.exp(np.exp(log_shape) * log_ratio)
        return (powers * log_ratio).sum() / powers.sum() - np.exp(-log_shape) - log_ratio.mean()

    low, high = np.log(1e-3), np.log(1e4)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        if profile(middle) < 0:
            low = middle
        else:
            high = middle
    shape = float(np.exp(0.5 * (low + high)))
    scale = float(largest * np.mean(np.exp(shape * log_ratio))**(1.0 / shape))
    return shape, scale


def weibull_cdf(values: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``1 - exp(-(x / lambda)^k)`` element-wise (broadcasting), float64."""
    with np.errstate(over='ignore'):
        return -np.expm1(-(np.asarray(values, dtype=np.float64) / scale)**shape)


def euclidean_distances(rows: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """[N, C] Euclidean distances between rows [N, K] and centres [C, K], float64."""
    rows, centres = rows.astype(np.float64), centres.astype(np.float64)
    squared = (rows * rows).sum(axis=1, keepdims=True) - 2 * rows @ centres.T + (centres * centres).sum(axis=1)
    return np.sqrt(np.maximum(squared, 0.0))


@OPEN_SET_SCORES.register_module()
class OpenMaxScore(OpenSetScore):
    """OpenMax's known-vs-unknown log-odds, ``log(1 - P(unknown)) - log P(unknown)``.

    Bendale & Boult, "Towards Open Set Deep Networks", CVPR 2016. Fit (Algorithm 1): the activation vector (AV) is
    the logit vector; per class the mean AV (MAV) of the correctly classified training samples and a Weibull model
    of the ``tail_size`` largest Euclidean distances of those samples to their MAV (two-parameter MLE,
    :func:`fit_weibull`). Score (Algorithm 2): for the ``alpha`` largest logits, ranked ``r = 0..alpha-1``, the
    weight ``w = 1 - (alpha - r) / alpha * WeibullCDF(||v - MAV||)``; recalibrated logits ``v * w``, unknown logit
    ``sum v (1 - w)`` (Eq. 2), softmax over the C + 1 logits (Eq. 3).

    Where we differ: (1) the rank weights ``(alpha - r) / alpha`` and the Weibull CDF follow the authors' code
    (the printed Algorithm 2 has an exp without the ``1 -``); (2) Euclidean distance instead of the authors'
    ``euclidean / 200 + cosine`` mixture and our own Weibull MLE instead of libMR's tail fit (no translation of the
    data); (3) the returned score is the log-odds ``logsumexp(v * w) - unknown logit``, a strictly increasing
    function of ``1 - P(unknown)`` (same AUROC, OSCR and thresholds) that does not saturate at 1.0 in float64.
    OpenOOD v1.5's OpenMax uses ``alpha = 3`` (its ``weibull_alpha``); ours is the paper's 10.

    A class with fewer correctly classified training samples than ``tail_size`` is fitted on all of them, with a
    warning (libMR warns likewise when asked for a tail longer than its data); fewer than 2 is an error.

    Args:
        tail_size (int): Largest distances per class in the Weibull fit. Defaults to 20, the paper's value.
        alpha (int): Top classes recalibrated (all classes when there are fewer). Defaults to 10, the paper's value.
    """
    name = 'openmax'
    needs_train_set = True
    needs_train_labels = True
    fitted_attributes = ('mean_activations', 'weibull_shape', 'weibull_scale')

    def __init__(self, tail_size: int = 20, alpha: int = 10) -> None:
        super().__init__()
        if tail_size < 2 or alpha < 1:
            raise ValueError(f'need tail_size >= 2 and alpha >= 1, got tail_size={tail_size}, alpha={alpha}')
        self.tail_size, self.alpha = int(tail_size), int(alpha)

    def hyper_parameters(self):
        return dict(tail_size=self.tail_size, alpha=self.alpha)

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        logits = train.logits.astype(np.float64)
        correct = logits.argmax(axis=1) == train.labels
        self.mean_activations = np.zeros((self.num_classes, self.num_classes))
        self.weibull_shape = np.zeros(self.num_classes)
        self.weibull_scale = np.zeros(self.num_classes)
        counts = np.bincount(train.labels[correct], minlength=self.num_classes)
        short = np.flatnonzero((counts >= 2) & (counts < self.tail_size))
        if short.size:
            warnings.warn(f'OpenMax: tail_size={self.tail_size}, but classes {short.tolist()} have only '
                          f'{counts[short].tolist()} correctly classified training samples; their Weibull models are '
                          'fitted on all of them.', stacklevel=3)
        for label in range(self.num_classes):
            activations = logits[correct & (train.labels == label)]
            if len(activations) < 2:
                raise ValueError(f'class {label} has {len(activations)} correctly classified training samples; '
                                 'OpenMax needs >= 2 per class for its Weibull fit.')
            self.mean_activations[label] = activations.mean(axis=0)
            distances = np.linalg.norm(activations - self.mean_activations[label], axis=1)
            tail = np.sort(distances)[-self.tail_size:]
            self.weibull_shape[label], self.weibull_scale[label] = fit_weibull(tail)

    def _score(self, test: FeatureBank) -> np.ndarray:
        logits = test.logits.astype(np.float64)
        alpha = min(self.alpha, self.num_classes)
        outlier_probability = weibull_cdf(euclidean_distances(logits, self.mean_activations), self.weibull_shape,
                                          self.weibull_scale)
        top = np.argsort(-logits, axis=1, kind='stable')[:, :alpha]
        rank_weights = (alpha - np.arange(alpha)) / alpha
        weights = np.ones_like(logits)
        np.put_along_axis(weights, top,
                          1 - rank_weights * np.take_along_axis(outlier_probability, top, axis=1), axis=1)
        recalibrated = logits * weights
        unknown = (logits * (1 - weights)).sum(axis=1)
        return logsumexp(recalibrated, axis=1) - unknown
