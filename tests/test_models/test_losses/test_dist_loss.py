"""DIST (Huang et al. 2022), the distillation loss of the asymmetric distillation method, against numpy by hand
(docs/asymmetric_distillation.md, Method reference)."""
import numpy as np
import pytest
import torch

from openmixosr.models.losses import DISTLoss, dist_from_probabilities, dist_loss
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
