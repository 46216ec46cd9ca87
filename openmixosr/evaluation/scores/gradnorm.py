"""GradNorm, computed exactly from the stored features and logits (no backward pass)."""
import numpy as np
from scipy.special import softmax

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, OpenSetScore


@OPEN_SET_SCORES.register_module()
class GradNormScore(OpenSetScore):
    """L1 norm of the last layer's weight gradient of ``KL(u || softmax(z))``, ``||p - u||_1 * ||f||_1``.

    Huang, Geng & Li, "On the Importance of Gradients for Detecting Distributional Shifts in the Wild",
    NeurIPS 2021: ``S(x) = || d KL(u || softmax(f(x) / T)) / d w ||_1`` with ``u`` the uniform distribution and
    ``w`` the last layer's weights (Sec. 3, Eq. 3 and 4; T = 1 as in the paper). For one sample the gradient with
    respect to the weight is the outer product ``(p - u) f^T`` (``p`` the softmax of the logits, ``f`` the pooled
    feature), whose entry-wise L1 norm is ``||p - u||_1 * ||f||_1``: the score needs no backward pass, so it is a
    one-pass score here (tests/test_evaluation/test_scores checks it against autograd). The bias gradient is not
    counted, as in the paper.
    """
    name = 'gradnorm'
    uses_features = True
    needs_two_classes = True  # p = u = 1: the gradient is 0

    def _score(self, test: FeatureBank) -> np.ndarray:
        probs = softmax(test.logits.astype(np.float64), axis=1)
        uniform = 1.0 / probs.shape[1]
        return np.abs(probs - uniform).sum(axis=1) * np.abs(test.features.astype(np.float64)).sum(axis=1)
