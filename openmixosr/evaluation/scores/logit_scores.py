"""Scores of the logits alone, without training-set statistics: MSP, MLS, energy, negative entropy, GEN."""
import numpy as np
from scipy.special import log_softmax, logsumexp, softmax

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, OpenSetScore


def energy(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Negative free energy ``T * logsumexp(logits / T)`` (Liu et al. 2020, Eq. 1 negated), float64.

    Args:
        logits (np.ndarray): [N, C].
        temperature (float): T > 0. Defaults to 1.

    Returns:
        np.ndarray: [N] float64, higher = more known.
    """
    return temperature * logsumexp(np.asarray(logits, dtype=np.float64) / temperature, axis=1)


@OPEN_SET_SCORES.register_module()
class MSPScore(OpenSetScore):
    """Maximum softmax probability, ``max_c softmax(z)_c``.

    Hendrycks & Gimpel, "A Baseline for Detecting Misclassified and Out-of-Distribution Examples in Neural
    Networks", ICLR 2017 (Sec. 2: the maximum softmax probability; the paper has no numbered equation for it).
    """
    name = 'msp'
    needs_two_classes = True  # softmax of one logit = 1

    def _score(self, test: FeatureBank) -> np.ndarray:
        return softmax(test.logits.astype(np.float64), axis=1).max(axis=1)


@OPEN_SET_SCORES.register_module()
class MaxLogitScore(OpenSetScore):
    """Maximum logit, ``max_c z_c``.

    Vaze et al., "Open-Set Recognition: a Good Closed-Set Classifier is All You Need?", ICLR 2022 (Sec. 3 and 4:
    the maximum logit score, MLS, used as the open-set score of the baseline). Also Hendrycks et al. 2022,
    "Scaling Out-of-Distribution Detection for Real-World Settings" (MaxLogit). The toolkit's default score.
    """
    name = 'mls'

    def _score(self, test: FeatureBank) -> np.ndarray:
        return test.logits.astype(np.float64).max(axis=1)


@OPEN_SET_SCORES.register_module()
class EnergyScore(OpenSetScore):
    """Negative free energy, ``T * logsumexp(z / T)``.

    Liu, Wang, Owens & Li, "Energy-based Out-of-distribution Detection", NeurIPS 2020: the free energy
    ``E(x; f) = -T log sum_i exp(f_i(x) / T)`` (Eq. 1); the score is ``-E`` so that higher = more known.

    Args:
        temperature (float): T. Defaults to 1, the paper's value.
    """
    name = 'energy'

    def __init__(self, temperature: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.temperature = float(temperature)

    def hyper_parameters(self):
        return dict(temperature=self.temperature)

    def _score(self, test: FeatureBank) -> np.ndarray:
        return energy(test.logits, self.temperature)


@OPEN_SET_SCORES.register_module()
class EntropyScore(OpenSetScore):
    """Negative Shannon entropy of the softmax, ``sum_c p_c log p_c``.

    The predictive-entropy baseline (e.g. Hendrycks, Mazeika & Dietterich, ICLR 2019, and Liu et al. 2023 (GEN),
    Eq. 2, the Shannon entropy that GEN generalises); negated so that higher = more known.
    """
    name = 'entropy'
    needs_two_classes = True  # entropy of one class = 0

    def _score(self, test: FeatureBank) -> np.ndarray:
        log_probs = log_softmax(test.logits.astype(np.float64), axis=1)
        return (np.exp(log_probs) * log_probs).sum(axis=1)


@OPEN_SET_SCORES.register_module()
class GENScore(OpenSetScore):
    """Generalized entropy, ``-sum_{top M classes} p^gamma (1 - p)^gamma``.

    Liu, Lochman & Zach, "GEN: Pushing the Limits of Softmax-Based Out-of-Distribution Detection", CVPR 2023: the
    generalized entropy ``G_gamma(p) = sum_j p_j^gamma (1 - p_j)^gamma`` over the M largest probabilities (Sec. 3,
    Eq. 7 and the truncation to the top M), negated so that higher = more known.

    Args:
        gamma (float): Defaults to 0.1, the paper's value.
        top_classes (int): M; all classes when there are fewer. Defaults to 100, the paper's value.
    """
    name = 'gen'
    needs_two_classes = True  # p = 1: p^g (1 - p)^g = 0

    def __init__(self, gamma: float = 0.1, top_classes: int = 100) -> None:
        super().__init__()
        if not 0 < gamma < 1 or top_classes < 1:
            raise ValueError(f'need 0 < gamma < 1 and top_classes >= 1, got gamma={gamma}, top_classes={top_classes}')
        self.gamma, self.top_classes = float(gamma), int(top_classes)

    def hyper_parameters(self):
        return dict(gamma=self.gamma, top_classes=self.top_classes)

    def _score(self, test: FeatureBank) -> np.ndarray:
        probs = softmax(test.logits.astype(np.float64), axis=1)
        top = min(self.top_classes, probs.shape[1])
        largest = -np.partition(-probs, top - 1, axis=1)[:, :top]
        return -(largest**self.gamma * (1 - largest)**self.gamma).sum(axis=1)
