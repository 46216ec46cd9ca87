"""Cross mutual information (asymmetric distillation Eq. 6): the DIST form and the InfoNCE estimator, their lam
weights, declared inputs and gradients. Their ``loss_weight`` (``mu`` of Eq. 8): tests/test_models/test_losses/
test_loss_weights.py."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import CrossMutualInformationLoss, InfoNCECrossMutualInformationLoss, dist_loss
from openmixosr.models.utils.declared_inputs import call_with_declared_inputs
from openmixosr.registry import MODELS


@pytest.fixture
def cmi_batch():
    torch.manual_seed(3)
    student = torch.randn(6, 5, requires_grad=True)
    teacher = torch.randn(6, 5, requires_grad=True)
    index = torch.tensor([3, 0, 5, 1, 2, 4])
    return student, teacher, index


def test_cmi_lam_weights(cmi_batch):
    student, teacher, index = cmi_batch
    cmi = MODELS.build(dict(type='CrossMutualInformationLoss', tau=2.0))
    d_i = dist_loss(student, teacher, tau=2.0)
    d_j = dist_loss(student, teacher[index], tau=2.0)
    torch.testing.assert_close(cmi(student, teacher, index, 1.0), d_i)
    torch.testing.assert_close(cmi(student, teacher, index, 0.0), d_j)
    torch.testing.assert_close(cmi(student, teacher, index, 0.3), 0.3 * d_i + 0.7 * d_j)
    # the partner term really uses the pairing
    assert not torch.allclose(d_i, d_j)
    # called by its declared inputs, as the distiller calls it
    offered = dict(student_mixed_logits=student, teacher_raw_logits=teacher, index=index, lam=0.3,
                   student_mixed_features=None, teacher_raw_features=None)
    torch.testing.assert_close(call_with_declared_inputs(cmi, offered), 0.3 * d_i + 0.7 * d_j)


def test_cmi_teacher_detached_and_index_checked(cmi_batch):
    student, teacher, index = cmi_batch
    cmi = CrossMutualInformationLoss()
    cmi(student, teacher, index, 0.4).backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0
    # a bad lam is refused by check_lam (tests/test_models/test_utils/test_mixing.py)
    with pytest.raises(ValueError, match='index'):
        cmi(student, teacher, index[:4], 0.5)


def _infonce_reference(s, t, temperature):
    logits = s @ t.t() / temperature
    return F.cross_entropy(logits, torch.arange(s.size(0)))


def test_infonce_cmi_value_and_gradients():
    torch.manual_seed(4)
    cmi = MODELS.build(
        dict(type='InfoNCECrossMutualInformationLoss', student_channels=8, teacher_channels=12, proj_dim=6))
    assert cmi.nce_temperature == 0.1
    assert cmi.mixup_inputs == ('student_mixed_features', 'teacher_raw_features', 'index', 'lam')
    student = torch.randn(5, 8, requires_grad=True)
    teacher = torch.randn(5, 12, requires_grad=True)
    index = torch.tensor([1, 2, 3, 4, 0])
    loss = cmi(student, teacher, index, 0.3)
    assert torch.isfinite(loss)
    s = F.normalize(cmi.student_proj(student), dim=1)
    t = F.normalize(cmi.teacher_proj(teacher), dim=1)
    expected = 0.3 * _infonce_reference(s, t, 0.1) + 0.7 * _infonce_reference(s, t[index], 0.1)
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0
    for proj in (cmi.student_proj, cmi.teacher_proj):
        assert proj.weight.grad is not None and proj.weight.grad.abs().sum() > 0


def test_infonce_cmi_lower_for_aligned_features():
    torch.manual_seed(5)
    cmi = InfoNCECrossMutualInformationLoss(student_channels=16, teacher_channels=16, proj_dim=16)
    cmi.teacher_proj.load_state_dict(cmi.student_proj.state_dict())  # same map: aligned features embed identically
    teacher = torch.randn(8, 16)
    index = torch.arange(8)
    aligned = cmi(teacher.clone(), teacher, index, 1.0)
    shuffled = cmi(teacher[torch.tensor([1, 2, 3, 4, 5, 6, 7, 0])], teacher, index, 1.0)
    assert aligned < shuffled
    assert aligned < np.log(8) < shuffled


def test_infonce_cmi_requires_its_own_arguments():
    with pytest.raises(TypeError):
        MODELS.build(dict(type='InfoNCECrossMutualInformationLoss'))
    with pytest.raises(TypeError):  # the DIST form takes no projection arguments
        MODELS.build(dict(type='CrossMutualInformationLoss', proj_dim=128))
    with pytest.raises(ValueError, match='nce_temperature'):
        InfoNCECrossMutualInformationLoss(4, 4, nce_temperature=0.0)


def _pearson(a, b, w):
    """Weighted Pearson correlation written out: weighted means, covariance and variances."""
    ma, mb = np.sum(w * a) / np.sum(w), np.sum(w * b) / np.sum(w)
    cov = np.sum(w * (a - ma) * (b - mb))
    return cov / np.sqrt(np.sum(w * (a - ma)**2) * np.sum(w * (b - mb)**2))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _weighted_dist(s, t, w):
    """DIST with sample weights w, by hand: weighted mean of the row correlations, weighted column correlations."""
    p_s, p_t = _softmax(s), _softmax(t)
    rows = np.array([_pearson(p_s[i], p_t[i], np.ones(p_s.shape[1])) for i in range(len(w))])
    inter = 1 - np.sum(w * rows) / np.sum(w)
    intra = 1 - np.mean([_pearson(p_s[:, c], p_t[:, c], w) for c in range(p_s.shape[1])])
    return inter + intra


def test_cmi_with_one_lam_per_sample_matches_a_hand_computation(cmi_batch):
    student, teacher, index = cmi_batch
    lam = torch.tensor([0.9, 0.2, 0.5, 0.75, 0.0, 0.4])
    got = CrossMutualInformationLoss()(student, teacher, index, lam).item()
    s, t, lam_np = student.detach().double().numpy(), teacher.detach().double().numpy(), lam.double().numpy()
    expected = (lam_np.mean() * _weighted_dist(s, t, lam_np) +
                (1 - lam_np).mean() * _weighted_dist(s, t[index.numpy()], 1 - lam_np))
    assert got == pytest.approx(expected, rel=1e-4)
    # equal shares give the one-lam formula exactly
    same = CrossMutualInformationLoss()(student, teacher, index, torch.full((6, ), 0.3)).item()
    assert same == pytest.approx(CrossMutualInformationLoss()(student, teacher, index, 0.3).item(), rel=1e-5)


def test_infonce_cmi_with_one_lam_per_sample_weighs_each_row_by_its_share():
    torch.manual_seed(4)
    cmi = MODELS.build(
        dict(type='InfoNCECrossMutualInformationLoss', student_channels=8, teacher_channels=12, proj_dim=6))
    student, teacher = torch.randn(5, 8), torch.randn(5, 12)
    index, lam = torch.tensor([1, 2, 3, 4, 0]), torch.tensor([1.0, 0.5, 0.25, 0.0, 0.6])
    s = F.normalize(cmi.student_proj(student), dim=1)
    t = F.normalize(cmi.teacher_proj(teacher), dim=1)
    rows_i = F.cross_entropy(s @ t.t() / 0.1, torch.arange(5), reduction='none')
    rows_j = F.cross_entropy(s @ t[index].t() / 0.1, torch.arange(5), reduction='none')
    expected = (lam * rows_i + (1 - lam) * rows_j).mean()
    assert cmi(student, teacher, index, lam).item() == pytest.approx(expected.item(), rel=1e-5)


def test_cmi_refuses_a_non_positive_temperature():
    with pytest.raises(ValueError, match='tau must be > 0'):
        CrossMutualInformationLoss(tau=0.0)
