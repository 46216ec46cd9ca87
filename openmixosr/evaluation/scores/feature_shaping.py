"""Scores that reshape the pooled features or the last layer, recompute the logits, and take the energy.

ReAct clips the features, ASH prunes (and rescales) them, DICE sparsifies the last layer's weights. All three work on
the stored pooled features and the :class:`FinalLinear` head, so no second pass of the backbone is needed. Like
OpenOOD, ASH is applied to the pooled feature vector (the paper prunes the feature map before pooling).
"""
import numpy as np

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore
from .logit_scores import energy


def _check_percentile(percentile: float) -> float:
    if not 0 <= percentile < 100:
        raise ValueError(f'percentile must be in [0, 100), got {percentile}')
    return float(percentile)


def kept_count(width: int, percentile: float) -> int:
    """How many of ``width`` values survive pruning ``percentile`` % of them (at least one)."""
    return max(width - int(np.round(width * percentile / 100.0)), 1)


class _RecomputedLogitsScore(OpenSetScore):
    """Shared: keeps the head's weight and bias, scores the energy of logits recomputed from reshaped features."""
    needs_final_layer = True
    uses_features = True

    def _fit(self, final_layer: FinalLinear, train) -> None:
        self.weight = final_layer.weight.astype(np.float32)
        self.bias = final_layer.bias.astype(np.float32)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """The head's logits of (reshaped) features, [N, C] float32."""
        return features.astype(np.float32) @ self.weight.T + self.bias


@OPEN_SET_SCORES.register_module()
class ReActScore(_RecomputedLogitsScore):
    """Energy of the logits of clipped features, ``energy(W min(f, c) + b)``.

    Sun, Guo & Li, "ReAct: Out-of-distribution Detection With Rectified Activations", NeurIPS 2021: the rectified
    activation ``min(h(x), c)`` (Eq. 1), with ``c`` the ``percentile``-th percentile of the training set's
    activations (all units pooled), followed by the energy score (Sec. 3).

    Args:
        percentile (float): Defaults to 90, the paper's value.
    """
    name = 'react'
    needs_train_set = True
    fitted_attributes = ('weight', 'bias', 'threshold')

    def __init__(self, percentile: float = 90.0) -> None:
        super().__init__()
        self.percentile = _check_percentile(percentile)

    def hyper_parameters(self):
        return dict(percentile=self.percentile)

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        super()._fit(final_layer, train)
        self.threshold = np.asarray(np.percentile(train.features, self.percentile), dtype=np.float32)

    def _score(self, test: FeatureBank) -> np.ndarray:
        return energy(self.logits(np.minimum(test.features, self.threshold)))


@OPEN_SET_SCORES.register_module()
class ASHScore(_RecomputedLogitsScore):
    """Energy of the logits of pruned features (activation shaping).

    Djurisic, Bozanic, Ashok & Liu, "Extremely Simple Activation Shaping for Out-of-Distribution Detection",
    ICLR 2023 (Sec. 2, Algorithms 1-3). Per sample, the ``percentile`` % smallest units are set to zero and the
    rest ``k`` kept (``k = D - round(D * percentile / 100)``); then

    - ``'p'`` (ASH-P): the kept units unchanged;
    - ``'b'`` (ASH-B): every kept unit set to ``s1 / k``, with ``s1`` the sum of all units before pruning;
    - ``'s'`` (ASH-S): the kept units multiplied by ``exp(s1 / s2)``, ``s2`` the sum after pruning (a zero ``s2``,
      an all-zero feature, scales by ``exp(1)``);

    and the energy of the recomputed logits is the score.

    Args:
        variant (str): ``'p'``, ``'b'`` or ``'s'``.
        percentile (float): Pruning percentile. Defaults to 90, the paper's setting for ASH-B on CIFAR and the
            common setting of OpenOOD (the paper also reports ASH-S@95, ASH-P@90).
    """
    needs_train_set = False
    fitted_attributes = ('weight', 'bias')
    VARIANTS = ('p', 'b', 's')
    presets = {f'ash_{variant}': dict(variant=variant) for variant in VARIANTS}

    def __init__(self, variant: str, percentile: float = 90.0) -> None:
        super().__init__()
        if variant not in self.VARIANTS:
            raise ValueError(f'variant must be one of {self.VARIANTS}, got {variant!r}')
        self.variant = variant
        self.percentile = _check_percentile(percentile)
        self.name = f'ash_{variant}'

    def hyper_parameters(self):
        return dict(variant=self.variant, percentile=self.percentile)

    def shape(self, features: np.ndarray) -> np.ndarray:
        """The shaped features, [N, D] float64 (Algorithms 1-3 of the paper on the pooled vector)."""
        features = features.astype(np.float64)
        kept = kept_count(features.shape[1], self.percentile)
        # indices of the `kept` largest units of each row
        top = np.argpartition(-features, kept - 1, axis=1)[:, :kept]
        values = np.take_along_axis(features, top, axis=1)
        if self.variant == 'b':
            values = np.broadcast_to(features.sum(axis=1, keepdims=True) / kept, values.shape)
        elif self.variant == 's':
            total, kept_total = features.sum(axis=1, keepdims=True), values.sum(axis=1, keepdims=True)
            ratio = np.divide(total, kept_total, out=np.ones_like(total), where=kept_total != 0)
            values = values * np.exp(ratio)
        shaped = np.zeros_like(features)
        np.put_along_axis(shaped, top, values, axis=1)
        return shaped

    def _score(self, test: FeatureBank) -> np.ndarray:
        return energy(self.logits(self.shape(test.features)))


@OPEN_SET_SCORES.register_module()
class DICEScore(_RecomputedLogitsScore):
    """Energy of the logits of a sparsified last layer.

    Sun & Li, "DICE: Leveraging Sparsification for Out-of-Distribution Detection", ECCV 2022: the contribution
    matrix ``V = mean_train(f) (*) W`` (Sec. 3.1, element-wise, per class row), the mask ``M`` that keeps its
    ``100 - p`` % largest entries (Eq. 2), logits ``(M (*) W) f + b`` and the energy score (Eq. 3).

    As the authors' code and OpenOOD, ``M`` keeps the entries strictly above ``np.percentile(V, p)`` (linear
    interpolation): of ``n = C D`` distinct entries, ``n - ceil((n - 1) p / 100)``, one fewer when ``(n - 1) p / 100``
    is a whole number (p = 0 drops the smallest entry); entries tied at the threshold are all dropped. The paper's
    top-k would keep ``n - round(n p / 100)``, which differs by one for many ``n``.

    Args:
        sparsity (float): p, the percentage of weights dropped. Defaults to 90, the paper's value.
    """
    name = 'dice'
    needs_train_set = True
    fitted_attributes = ('weight', 'bias', 'mask')

    def __init__(self, sparsity: float = 90.0) -> None:
        super().__init__()
        self.sparsity = _check_percentile(sparsity)

    def hyper_parameters(self):
        return dict(sparsity=self.sparsity)

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        super()._fit(final_layer, train)
        contribution = train.features.astype(np.float64).mean(axis=0)[None, :] * self.weight
        self.mask = contribution > np.percentile(contribution, self.sparsity)

    def _score(self, test: FeatureBank) -> np.ndarray:
        return energy(test.features.astype(np.float32) @ (self.weight * self.mask).T + self.bias)
