"""Scores that compare a test sample with one stored pattern per class: KL matching (softmax) and SHE (features)."""
import numpy as np
from scipy.special import log_softmax, softmax

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore


@OPEN_SET_SCORES.register_module()
class KLMatchingScore(OpenSetScore):
    """Negative KL divergence to the nearest class template, ``-min_c KL(p || d_c)``.

    Hendrycks, Basart, Mazeika, Zou, Kwon, Mostajabi, Steinhardt & Song, "Scaling Out-of-Distribution Detection
    for Real-World Settings", ICML 2022 (Sec. 4, KL matching): ``d_c`` is the mean softmax of the training samples
    *predicted* as class c (no labels needed). OpenOOD's KLM averages the same way, but over in-distribution
    *validation* data; ours is fitted on the training bank (the open-set benchmarks have no validation data apart
    from the test set). Classes that no training sample is predicted as have no template and are left out of the
    minimum; OpenOOD v1.5 gives them a one-hot template, whose KL divergence from any softmax is infinite: the same
    scores.
    """
    name = 'klm'
    needs_train_set = True
    needs_two_classes = True  # KL between one-class softmaxes = 0
    fitted_attributes = ('log_templates', )

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        probs = softmax(train.logits.astype(np.float64), axis=1)
        predictions = probs.argmax(axis=1)
        counts = np.bincount(predictions, minlength=self.num_classes)
        sums = np.zeros((self.num_classes, self.num_classes))
        np.add.at(sums, predictions, probs)
        templates = sums[counts > 0] / counts[counts > 0, None]
        self.log_templates = np.log(np.maximum(templates, np.finfo(np.float64).tiny))

    def _score(self, test: FeatureBank) -> np.ndarray:
        log_probs = log_softmax(test.logits.astype(np.float64), axis=1)
        probs = np.exp(log_probs)
        divergences = (probs * log_probs).sum(axis=1, keepdims=True) - probs @ self.log_templates.T
        return -divergences.min(axis=1)


def correct_class_means(features: np.ndarray, logits: np.ndarray, labels: np.ndarray,
                        num_classes: int) -> np.ndarray:
    """Mean of each class's correctly classified training features, [C, D] float64.

    Raises:
        ValueError: A class has no correctly classified training sample.
    """
    correct = logits.argmax(axis=1) == labels
    counts = np.bincount(labels[correct], minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(f'classes {np.flatnonzero(counts == 0).tolist()} have no correctly classified training '
                         'sample; their stored pattern is undefined.')
    sums = np.zeros((num_classes, features.shape[1]))
    np.add.at(sums, labels[correct], features[correct].astype(np.float64))
    return sums / counts[:, None]


@OPEN_SET_SCORES.register_module()
class SHEScore(OpenSetScore):
    """Simplified Hopfield energy: inner product with the stored pattern of the predicted class, ``<f, s_yhat>``.

    Zhang, Fu, Liu & Chen, "Out-of-Distribution Detection based on In-Distribution Data Patterns Memorization with
    Modern Hopfield Energy", ICLR 2023 (Sec. 3.2, SHE): the stored pattern ``s_c`` of class c is the mean pooled
    feature of the training samples of class c that the network classifies correctly; the score is the inner
    product of the test feature with the pattern of its predicted class (OpenOOD's ``inner_product`` metric).
    """
    name = 'she'
    needs_train_set = True
    needs_train_labels = True
    uses_features = True
    fitted_attributes = ('patterns', )

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        self.patterns = correct_class_means(train.features, train.logits, train.labels, self.num_classes)

    def _score(self, test: FeatureBank) -> np.ndarray:
        predicted = test.logits.argmax(axis=1)
        return (test.features.astype(np.float64) * self.patterns[predicted]).sum(axis=1)
