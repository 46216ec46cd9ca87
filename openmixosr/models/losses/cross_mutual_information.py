"""Cross mutual information between a mixed sample and its two sources (asymmetric distillation Eq. 6, ``L_CMI``;
docs/asymmetric_distillation.md, Method reference).

The student on the mixed image ``x_m`` is pulled toward the teacher on each of the two raw images it was made from,
in proportion to their share of the mix:

    L_CMI = lam * D(S(x_m), T(x_i)) + (1 - lam) * D(S(x_m), T(x_j)),    T(x_j) = T(x)[index]

so one teacher pass on the raw batch serves both terms. With one lam per sample (a learned mask's share
``lam_i = mean(s_i)``), each term weighs the samples by their own share:

    L_CMI = mean(lam) * D_lam(S(x_m), T(x_i)) + mean(1 - lam) * D_{1 - lam}(S(x_m), T(x_j))

where ``D_w`` is ``D`` with its means over samples weighted by ``w`` (for a per-sample ``D`` such as InfoNCE this is
``mean_i [lam_i d_i(x_i) + (1 - lam_i) d_i(x_j)]``; for DIST, :mod:`~openmixosr.models.losses.dist_loss`). Equal
``lam_i`` give the formula above exactly. Two estimators of ``D``, one class each:

- :class:`CrossMutualInformationLoss` (the default of the paper and the authors' code): ``D`` is DIST on logits;
- :class:`InfoNCECrossMutualInformationLoss`: a contrastive lower bound of the mutual information on pooled
  features, through learnable projections.

The two share :class:`BaseCrossMutualInformationLoss` (the lam weighting, the pairing, the detached teacher) and each
takes only its own arguments, so no option sits unused in either. Each declares what it relates in ``mixup_inputs``
(logits for DIST, pooled features for InfoNCE), and an algorithm calls it with those, by name
(:func:`~openmixosr.models.utils.declared_inputs.call_with_declared_inputs`): a new estimator needs no change to the
algorithm. Each loss carries its weight, ``loss_weight``: ``mu`` of the paper (asymmetric distillation Eq. 8), so
Table 7's grid is ``cmi_loss=dict(loss_weight=mu)``; the algorithm adds the weighted loss as it is. The InfoNCE
projections are parameters: build the loss as a submodule of the algorithm so that the optimizer sees them.
"""
from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from openmixosr.registry import MODELS
from ..utils.mixing import check_lam
from .dist_loss import DISTLoss


def info_nce(student: torch.Tensor, teacher: torch.Tensor, temperature: float,
             sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """InfoNCE with the diagonal as positives: ``CE(student @ teacher.T / temperature, arange(N))``.

    Row ``i`` scores student embedding ``i`` against every teacher embedding; the positive is teacher ``i``, the other
    N - 1 are the negatives. ``log(N) - InfoNCE`` lower-bounds the mutual information of the two embeddings.

    Args:
        student (Tensor): Student embeddings, [N, D] (normally L2-normalised).
        teacher (Tensor): Teacher embeddings, [N, D], row ``i`` the positive of student row ``i``.
        temperature (float): Divides the similarities.
        sample_weights (Tensor, optional): Weights [N] of the rows; None: equal weights.

    Returns:
        Tensor: The loss averaged over the N rows (weighted by ``sample_weights``; a scalar).
    """
    logits = student @ teacher.t() / temperature
    targets = torch.arange(student.size(0), device=student.device)
    if sample_weights is None:
        return F.cross_entropy(logits, targets)
    per_row = F.cross_entropy(logits, targets, reduction='none')
    return (sample_weights * per_row).sum() / sample_weights.sum()


class BaseCrossMutualInformationLoss(nn.Module):
    """``loss_weight * [lam * D(s, t) + (1 - lam) * D(s, t[index])]`` with ``s``, ``t`` the embedded student and
    teacher.

    A subclass gives ``embed_student`` / ``embed_teacher`` (identity by default), the discrepancy ``D``, the names of
    its inputs in ``mixup_inputs`` and a ``forward`` taking them that calls :meth:`cross_mutual_information`. Each
    side is embedded once; the teacher of the partner term is the embedded raw-batch teacher permuted by ``index``.
    A subclass with arguments of its own passes ``loss_weight`` on to this constructor.

    Args:
        loss_weight (float): Factor applied to the loss: ``mu`` of asymmetric distillation Eq. 8. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def embed_student(self, student: torch.Tensor) -> torch.Tensor:
        return student

    def embed_teacher(self, teacher: torch.Tensor) -> torch.Tensor:
        return teacher

    def discrepancy(self, student: torch.Tensor, teacher: torch.Tensor,
                    sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``D(student, teacher)``, its means over samples weighted by ``sample_weights`` [N] when given."""
        raise NotImplementedError

    def _weighted_term(self, student: torch.Tensor, teacher: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """``mean(w) * D_w(student, teacher)``; 0 (with the graph) when every weight is 0."""
        if not bool(weights.sum() > 0):
            return student.sum() * 0.0
        return weights.mean() * self.discrepancy(student, teacher, weights)

    def cross_mutual_information(self, student_mixed: torch.Tensor, teacher_raw: torch.Tensor, index: torch.Tensor,
                                 lam: Union[float, torch.Tensor]) -> torch.Tensor:
        """Eq. 6 of asymmetric distillation, weighted: ``loss_weight * [lam * D(S(x_m), T(x_i)) + (1 - lam) *
        D(S(x_m), T(x_j))]``.

        Args:
            student_mixed (Tensor): Student output on the mixed batch ``x_m``, [N, ...].
            teacher_raw (Tensor): Teacher output on the raw batch ``x``, [N, ...]; detached here.
            index (LongTensor): Pairing ``j`` of the mix, [N].
            lam (float | Tensor): Share of ``x_i`` in ``x_m``: one value for the batch, or a tensor [N] with each
                sample's own share (module docstring).

        Returns:
            Tensor: A scalar.
        """
        n = student_mixed.size(0)
        lam = check_lam(lam, n)
        if torch.is_tensor(lam):  # one python float for the batch, or a detached tensor [N]
            lam = lam.item() if lam.dim() == 0 else lam.detach()
        if teacher_raw.size(0) != n or index.shape != (n, ):
            raise ValueError(f'expected student [N, ...], teacher [N, ...] and index [N], got '
                             f'{tuple(student_mixed.shape)}, {tuple(teacher_raw.shape)} and {tuple(index.shape)}')
        s = self.embed_student(student_mixed)
        t = self.embed_teacher(teacher_raw.detach())
        if isinstance(lam, float):
            return self.loss_weight * (lam * self.discrepancy(s, t) + (1 - lam) * self.discrepancy(s, t[index]))
        lam = lam.to(s.dtype)
        return self.loss_weight * (self._weighted_term(s, t, lam) + self._weighted_term(s, t[index], 1 - lam))


@MODELS.register_module()
class CrossMutualInformationLoss(BaseCrossMutualInformationLoss):
    """Cross mutual information with ``D`` = DIST on logits (asymmetric distillation Eq. 6 as in the authors' code).

    ``forward(student_mixed_logits [N, K], teacher_raw_logits [N, K], index [N], lam)``.

    Args:
        tau (float): DIST temperature. Defaults to 1.0.
        beta (float): DIST inter-class weight. Defaults to 1.0.
        gamma (float): DIST intra-class weight. Defaults to 1.0.
        loss_weight (float): Factor applied to the loss: ``mu`` of asymmetric distillation Eq. 8. Defaults to 1.0.
    """

    mixup_inputs = ('student_mixed_logits', 'teacher_raw_logits', 'index', 'lam')

    def __init__(self, tau: float = 1.0, beta: float = 1.0, gamma: float = 1.0, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        self.dist = DISTLoss(tau=tau, beta=beta, gamma=gamma)

    def discrepancy(self, student: torch.Tensor, teacher: torch.Tensor,
                    sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.dist(student, teacher, sample_weights)

    def forward(self, student_mixed_logits: torch.Tensor, teacher_raw_logits: torch.Tensor, index: torch.Tensor,
                lam: Union[float, torch.Tensor]) -> torch.Tensor:
        return self.cross_mutual_information(student_mixed_logits, teacher_raw_logits, index, lam)


@MODELS.register_module()
class InfoNCECrossMutualInformationLoss(BaseCrossMutualInformationLoss):
    """Cross mutual information with ``D`` = InfoNCE on projected, L2-normalised pooled features (an option).

    ``s = normalize(W_s f_s)``, ``t = normalize(W_t f_t)`` with learnable linear maps to ``proj_dim``; then
    ``lam * InfoNCE(s, t) + (1 - lam) * InfoNCE(s, t[index])`` (:func:`info_nce`). The teacher features are detached,
    its projection ``W_t`` is trained. ``forward(student_mixed_features [N, Ds], teacher_raw_features [N, Dt], index,
    lam)``.

    Args:
        student_channels (int): ``Ds``, width of the student's pooled features (512 for ResNet-18).
        teacher_channels (int): ``Dt``, width of the teacher's pooled features (2048 for ResNet-50).
        proj_dim (int): Width of the shared embedding space. Defaults to 128.
        nce_temperature (float): Temperature of the similarities. Defaults to 0.1.
        loss_weight (float): Factor applied to the loss: ``mu`` of asymmetric distillation Eq. 8. Defaults to 1.0.
    """

    mixup_inputs = ('student_mixed_features', 'teacher_raw_features', 'index', 'lam')

    def __init__(self, student_channels: int, teacher_channels: int, proj_dim: int = 128,
                 nce_temperature: float = 0.1, loss_weight: float = 1.0):
        super().__init__(loss_weight)
        if not nce_temperature > 0:
            raise ValueError(f'nce_temperature must be > 0, got {nce_temperature}')
        self.student_proj = nn.Linear(student_channels, proj_dim)
        self.teacher_proj = nn.Linear(teacher_channels, proj_dim)
        self.nce_temperature = nce_temperature

    def embed_student(self, student: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.student_proj(student), dim=1)

    def embed_teacher(self, teacher: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.teacher_proj(teacher), dim=1)

    def discrepancy(self, student: torch.Tensor, teacher: torch.Tensor,
                    sample_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
        return info_nce(student, teacher, self.nce_temperature, sample_weights)

    def forward(self, student_mixed_features: torch.Tensor, teacher_raw_features: torch.Tensor, index: torch.Tensor,
                lam: Union[float, torch.Tensor]) -> torch.Tensor:
        return self.cross_mutual_information(student_mixed_features, teacher_raw_features, index, lam)
