"""ViM: the virtual logit of the feature's residual off the principal subspace, matched to the logits' scale."""
from typing import Optional

import numpy as np

from openmixosr.registry import OPEN_SET_SCORES
from .base import FeatureBank, FinalLinear, OpenSetScore
from .logit_scores import energy


def principal_dim(feature_dim: int) -> int:
    """The principal subspace's dimension for a feature width: 1000 for >= 2048, 512 for >= 768 (ViM, Sec. 4.1),
    else half the width (OpenOOD's 256 for ResNet-18's 512)."""
    if feature_dim >= 2048:
        return 1000
    if feature_dim >= 768:
        return 512
    return feature_dim // 2


@OPEN_SET_SCORES.register_module()
class ViMScore(OpenSetScore):
    """Virtual-logit matching, ``energy(z) - alpha * ||(f - o) P_perp||``.

    Wang, Li, Feng & Zhang, "ViM: Out-Of-Distribution with Virtual-logit Matching", CVPR 2022: origin
    ``o = -pinv(W) b`` (Sec. 3.1), principal subspace = the ``dim`` leading eigenvectors of the uncentred covariance
    of ``f - o`` over the training set, residual ``x^{P perp}`` (Eq. 4), ``alpha = mean_train(max_c z_c) /
    mean_train(||x^{P perp}||)`` (Eq. 6), and the virtual logit's softmax probability as the OOD score (Eq. 7-8).
    That probability is a decreasing function of ``logsumexp(z) - alpha ||x^{P perp}||``, which we return (OpenOOD
    does the same).

    Args:
        dim (int, optional): Dimension of the principal subspace. None picks :func:`principal_dim` of the feature
            width (the paper's rule, extended by OpenOOD's half-width for narrow features).
    """
    name = 'vim'
    needs_train_set = True
    needs_final_layer = True
    uses_features = True
    fitted_attributes = ('origin', 'residual_basis', 'alpha')

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        if dim is not None and dim < 1:
            raise ValueError(f'dim must be >= 1, got {dim}')
        self.dim = dim

    def hyper_parameters(self):
        return dict(dim=-1 if self.dim is None else self.dim)  # -1: principal_dim(feature width)

    def _fit(self, final_layer: FinalLinear, train: FeatureBank) -> None:
        dim = principal_dim(self.feature_dim) if self.dim is None else self.dim
        if not 1 <= dim < self.feature_dim:
            raise ValueError(f'ViM needs 1 <= dim < feature width ({self.feature_dim}), got dim={dim}.')
        weight, bias = final_layer.weight.astype(np.float64), final_layer.bias.astype(np.float64)
        self.origin = -np.linalg.pinv(weight) @ bias
        shifted = train.features.astype(np.float64) - self.origin
        eigenvalues, eigenvectors = np.linalg.eigh(shifted.T @ shifted / shifted.shape[0])
        order = np.argsort(-eigenvalues, kind='stable')
        self.residual_basis = eigenvectors[:, order[dim:]]
        residual_norms = np.linalg.norm(shifted @ self.residual_basis, axis=1)
        if residual_norms.mean() == 0:
            raise ValueError(f'the training features lie in a {dim}-dimensional subspace: ViM residuals are all 0; '
                             'use a smaller dim.')
        self.alpha = np.asarray(train.logits.astype(np.float64).max(axis=1).mean() / residual_norms.mean())

    def _score(self, test: FeatureBank) -> np.ndarray:
        residual = (test.features.astype(np.float64) - self.origin) @ self.residual_basis
        return energy(test.logits) - float(self.alpha) * np.linalg.norm(residual, axis=1)
