"""DIST, cross mutual information and relabel losses of the asymmetric distillation method (Eq. 6-8; DIST of Huang
et al. 2022; docs/asymmetric_distillation.md, Method reference)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.losses import (CrossMutualInformationLoss, DISTLoss, InfoNCECrossMutualInformationLoss,
                                      RelabelLoss, dist_from_probabilities, dist_loss, relabel_target)
from openmixosr.models.utils import mixed_soft_label
from openmixosr.models.utils.declared_inputs import call_with_declared_inputs
from openmixosr.registry import MODELS

STUDENT_2X3 = [[1.0, 2.0, 3.0], [3.0, 1.0, 0.0]]
TEACHER_2X3 = [[2.0, 2.0, 1.0], [0.0, 1.0, 4.0]]


def _np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _np_pearson(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _np_dist(student, teacher, tau=1.0, beta=1.0, gamma=1.0):
    p_s = _np_softmax(np.asarray(student, dtype=np.float64) / tau)
    p_t = _np_softmax(np.asarray(teacher, dtype=np.float64) / tau)
    inter = 1 - np.mean([_np_pearson(p_s[i], p_t[i]) for i in range(p_s.shape[0])])
    intra = 1 - np.mean([_np_pearson(p_s[:, c], p_t[:, c]) for c in range(p_s.shape[1])])
    return tau**2 * (beta * inter + gamma * intra)


# ---------------------------------------------------------------------------------------------------------------- DIST
def test_dist_hand_computation_2x3():
    student = np.array(STUDENT_2X3)
    teacher = np.array(TEACHER_2X3)
    # softmax rows
    p_s = np.exp(student) / np.exp(student).sum(axis=1, keepdims=True)
    p_t = np.exp(teacher) / np.exp(teacher).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p_s[0], [0.09003057, 0.24472847, 0.66524096], atol=1e-8)
    np.testing.assert_allclose(p_t[1], [0.01714783, 0.04661262, 0.93623955], atol=1e-8)
    # inter: Pearson of each row pair
    rho_rows = []
    for i in range(2):
        a, b = p_s[i] - p_s[i].mean(), p_t[i] - p_t[i].mean()
        rho_rows.append(a @ b / np.sqrt((a @ a) * (b @ b)))
    np.testing.assert_allclose(rho_rows, [-0.965648523, -0.591784211], atol=1e-8)
    inter = 1 - np.mean(rho_rows)
    # intra: Pearson of each column pair; with two samples every column correlation is +-1
    rho_cols = []
    for c in range(3):
        a, b = p_s[:, c] - p_s[:, c].mean(), p_t[:, c] - p_t[:, c].mean()
        rho_cols.append(a @ b / np.sqrt((a @ a) * (b @ b)))
    np.testing.assert_allclose(rho_cols, [-1.0, 1.0, -1.0], atol=1e-12)
    intra = 1 - np.mean(rho_cols)
    expected = inter + intra
    assert expected == pytest.approx(3.1120497004, abs=1e-9)

    got = dist_loss(torch.tensor(STUDENT_2X3, dtype=torch.float64), torch.tensor(TEACHER_2X3, dtype=torch.float64))
    assert got.item() == pytest.approx(expected, abs=1e-10)
    got = dist_loss(torch.tensor(STUDENT_2X3), torch.tensor(TEACHER_2X3), beta=0.5, gamma=2.0)
    assert got.item() == pytest.approx(0.5 * inter + 2.0 * intra, abs=1e-5)


def test_dist_matches_numpy_on_larger_batch():
    rng = np.random.default_rng(0)
    student, teacher = rng.normal(size=(6, 5)) * 2, rng.normal(size=(6, 5)) * 2
    got = dist_loss(torch.tensor(student), torch.tensor(teacher), tau=2.0, beta=0.7, gamma=1.3)
    assert got.item() == pytest.approx(_np_dist(student, teacher, tau=2.0, beta=0.7, gamma=1.3), abs=1e-10)


def test_dist_is_zero_for_identical_logits():
    torch.manual_seed(0)
    logits = torch.randn(8, 6) * 3
    assert dist_loss(logits, logits.clone()).item() == pytest.approx(0.0, abs=1e-6)
    assert dist_loss(logits, logits.clone(), tau=4.0).item() == pytest.approx(0.0, abs=1e-5)


def test_dist_pearson_invariances_on_probabilities():
    torch.manual_seed(0)
    p_s = torch.rand(6, 5, dtype=torch.float64).softmax(dim=1)
    p_t = torch.rand(6, 5, dtype=torch.float64).softmax(dim=1)
    row_scale = torch.rand(6, 1, dtype=torch.float64) * 5 + 0.1
    col_scale = torch.rand(1, 5, dtype=torch.float64) * 5 + 0.1
    base = dist_from_probabilities(p_s, p_t)
    # inter (rows) is invariant to a positive scale per row, of either side
    inter = dist_from_probabilities(p_s, p_t, beta=1.0, gamma=0.0)
    torch.testing.assert_close(dist_from_probabilities(row_scale * p_s, p_t, 1.0, 0.0), inter)
    torch.testing.assert_close(dist_from_probabilities(p_s, row_scale * p_t + 0.3, 1.0, 0.0), inter)
    # intra (columns) is invariant to a positive scale per column
    intra = dist_from_probabilities(p_s, p_t, beta=0.0, gamma=1.0)
    torch.testing.assert_close(dist_from_probabilities(col_scale * p_s, p_t, 0.0, 1.0), intra)
    # the whole of DIST is invariant to one positive scale
    torch.testing.assert_close(dist_from_probabilities(3.7 * p_s, p_t), base)
    torch.testing.assert_close(base, inter + intra)
    # ... but a per-row scale does change intra, so the split above is needed
    assert not torch.allclose(dist_from_probabilities(row_scale * p_s, p_t, 0.0, 1.0), intra)


def test_dist_tau_scaling():
    torch.manual_seed(1)
    student, teacher = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    tau = 3.0
    expected = tau**2 * dist_from_probabilities((student / tau).softmax(1), (teacher / tau).softmax(1))
    torch.testing.assert_close(dist_loss(student, teacher, tau=tau), expected)
    # logits scaled by tau at temperature tau: same probabilities, loss multiplied by tau^2
    torch.testing.assert_close(dist_loss(student * tau, teacher * tau, tau=tau), tau**2 * dist_loss(student, teacher))


def test_dist_teacher_detached_student_gets_gradients():
    torch.manual_seed(2)
    student = torch.randn(4, 5, requires_grad=True)
    teacher = torch.randn(4, 5, requires_grad=True)
    dist_loss(student, teacher).backward()
    assert teacher.grad is None
    assert student.grad is not None and student.grad.abs().sum() > 0


def test_dist_loss_module_builds_and_weights():
    loss = MODELS.build(dict(type='DISTLoss', tau=2.0, beta=0.5, gamma=1.5, loss_weight=0.25))
    assert isinstance(loss, DISTLoss)
    student, teacher = torch.tensor(STUDENT_2X3), torch.tensor(TEACHER_2X3)
    torch.testing.assert_close(loss(student, teacher), 0.25 * dist_loss(student, teacher, 2.0, 0.5, 1.5))
    with pytest.raises(ValueError, match='tau'):
        DISTLoss(tau=0.0)


# --------------------------------------------------------------------------------------------- cross mutual information
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


@pytest.mark.parametrize('cfg', [dict(type='CrossMutualInformationLoss'), dict(type='RelabelLoss'),
                                 dict(type='InfoNCECrossMutualInformationLoss', student_channels=4,
                                      teacher_channels=4)])
def test_cmi_and_relabel_losses_have_no_weight_of_their_own(cfg):
    """Their weights are the distiller's mu and eta (asymmetric distillation Eq. 8): a second factor is refused."""
    with pytest.raises(TypeError, match='loss_weight'):
        MODELS.build(dict(cfg, loss_weight=0.5))


def test_cmi_teacher_detached_and_lam_checked(cmi_batch):
    student, teacher, index = cmi_batch
    cmi = CrossMutualInformationLoss()
    cmi(student, teacher, index, 0.4).backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='lam'):
        cmi(student, teacher, index, torch.rand(6))
    with pytest.raises(ValueError, match='lam'):
        cmi(student, teacher, index, 1.5)
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


# --------------------------------------------------------------------------------------------------------------- relabel
def test_relabel_target_hand_values():
    labels = torch.tensor([0, 1, 2, 3])
    index = torch.tensor([2, 3, 0, 1])
    target = relabel_target(labels, index, 0.7, num_classes=4)
    torch.testing.assert_close(target[0], torch.tensor([0.125 + 0.35, 0.125, 0.125 + 0.15, 0.125]))
    torch.testing.assert_close(target[1], torch.tensor([0.125, 0.125 + 0.35, 0.125, 0.125 + 0.15]))
    torch.testing.assert_close(target.sum(dim=1), torch.ones(4))
    plain = relabel_target(labels, index, 0.7, num_classes=4, smoothing=False)
    torch.testing.assert_close(plain[0], torch.tensor([0.7, 0.0, 0.3, 0.0]))
    torch.testing.assert_close(plain, mixed_soft_label(labels, index, 0.7, 4))
    # same-class pair: the two one-hots add up
    torch.testing.assert_close(
        relabel_target(torch.tensor([1, 1]), torch.tensor([1, 0]), 0.4, 3), torch.tensor([[1 / 6, 2 / 3, 1 / 6]] * 2))


def test_mixed_soft_label_per_sample_lam():
    labels = torch.tensor([0, 1, 2])
    index = torch.tensor([1, 2, 0])
    lam = torch.tensor([1.0, 0.25, 0.5])
    expected = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.25, 0.75], [0.5, 0.0, 0.5]])
    torch.testing.assert_close(mixed_soft_label(labels, index, lam, 3), expected)
    with pytest.raises(ValueError, match='lam'):
        mixed_soft_label(labels, index, torch.rand(2), 3)


def test_relabel_loss_averages_over_confusing_samples_only():
    torch.manual_seed(6)
    logits = torch.randn(5, 4, requires_grad=True)
    labels = torch.tensor([0, 1, 2, 3, 0])
    index = torch.tensor([2, 0, 4, 1, 3])
    mask = torch.tensor([True, False, True, False, False])
    loss = MODELS.build(dict(type='RelabelLoss'))
    got = loss(logits, labels, index, 0.7, mask)
    log_p = logits.log_softmax(dim=1)
    y_u = 0.5 * 0.25 + 0.5 * (0.7 * F.one_hot(labels, 4) + 0.3 * F.one_hot(labels[index], 4))
    manual = -(y_u[0] * log_p[0]).sum() - (y_u[2] * log_p[2]).sum()
    torch.testing.assert_close(got, manual / 2)
    got.backward()
    assert logits.grad[[1, 3, 4]].abs().sum() == 0 and logits.grad[[0, 2]].abs().sum() > 0
    plain = RelabelLoss(smoothing=False)(logits, labels, index, 0.7, mask)
    y_m = 0.7 * F.one_hot(labels, 4) + 0.3 * F.one_hot(labels[index], 4)
    torch.testing.assert_close(plain, (-(y_m[[0, 2]] * log_p[[0, 2]]).sum(dim=1)).mean())


def test_relabel_loss_empty_mask_is_differentiable_zero():
    logits = torch.randn(3, 4, requires_grad=True)
    loss = RelabelLoss()(logits, torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0]), 0.5, torch.zeros(3, dtype=bool))
    assert loss.item() == 0.0 and loss.requires_grad
    loss.backward()
    torch.testing.assert_close(logits.grad, torch.zeros(3, 4))
    with pytest.raises(ValueError, match='confusing_mask'):
        RelabelLoss()(logits, torch.tensor([0, 1, 2]), torch.tensor([1, 2, 0]), 0.5, torch.tensor([1, 0, 0]))
