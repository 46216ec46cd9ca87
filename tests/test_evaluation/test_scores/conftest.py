"""A small synthetic network output shared by the score tests: 3 well-separated classes, 8-D non-negative
features, a final linear layer and its logits."""
import numpy as np
import pytest

from openmixosr.evaluation.scores import FeatureBank, FinalLinear


@pytest.fixture
def head_and_banks():
    """(final layer, training bank with labels, test bank) in float32, every class mostly classified correctly."""
    rng = np.random.default_rng(0)
    num_classes, width = 3, 8
    centres = np.abs(rng.normal(size=(num_classes, width))) * 3
    labels = np.repeat(np.arange(num_classes), 20)
    train_features = (centres[labels] + np.abs(rng.normal(size=(labels.size, width)))).astype(np.float32)
    weight = (centres - 0.5 * centres.mean(axis=0)).astype(np.float32)  # full rank: a finite ViM origin
    bias = (-0.5 * (centres**2).sum(axis=1)).astype(np.float32)  # nearest-centre classifier: all train correct
    head = FinalLinear(weight=weight, bias=bias)
    test_features = np.abs(rng.normal(size=(6, width))).astype(np.float32) * 3
    train = FeatureBank(train_features, train_features @ weight.T + bias, labels)
    test = FeatureBank(test_features, test_features @ weight.T + bias)
    return head, train, test
