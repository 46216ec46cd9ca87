import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from openmixosr.evaluation.functional import (aupr_in, aupr_out, auroc, fpr_at_tpr, open_set_macro_f1, oscr,
                                              oscr_curve, roc_curve, threshold_at_tpr)


def tied_data(seed, n_known=500, n_unknown=300, decimals=1):
    """Overlapping known/unknown scores, rounded so that most values are tied (within and across the sets)."""
    rng = np.random.default_rng(seed)
    known = np.round(rng.normal(1.0, 1.0, n_known), decimals)
    unknown = np.round(rng.normal(0.0, 1.0, n_unknown), decimals)
    correct = rng.random(n_known) < 0.7
    return known, correct, unknown


def sk_inputs(known, unknown):
    y_true = np.r_[np.ones(len(known), dtype=int), np.zeros(len(unknown), dtype=int)]
    return y_true, np.r_[known, unknown]


def brute_force_oscr(known, correct, unknown):
    """O(n^2) reference: CCR/FPR at every distinct threshold counted directly, (0, 0) first, trapezoid area."""
    fprs, ccrs = [0.0], [0.0]
    for t in np.unique(np.r_[known, unknown])[::-1]:
        ccrs.append(np.sum(correct & (known >= t)) / len(known))
        fprs.append(np.sum(unknown >= t) / len(unknown))
    area = 0.0
    for i in range(1, len(fprs)):
        area += (fprs[i] - fprs[i - 1]) * (ccrs[i] + ccrs[i - 1]) / 2
    return area


# ----------------------------------------------------------------------------------------------------------------------
# AUROC and ROC curve
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('decimals', [0, 1, 3])
def test_auroc_matches_sklearn_with_ties(seed, decimals):
    known, _, unknown = tied_data(seed, decimals=decimals)
    assert abs(auroc(known, unknown) - roc_auc_score(*sk_inputs(known, unknown))) < 1e-12


def test_auroc_hand_computed():
    # Pairs (known, unknown): (.9,.5)=1 (.9,.1)=1 (.5,.5)=.5 twice (.5,.1)=1 twice -> 5 of 6 pairs.
    assert auroc([0.9, 0.5, 0.5], [0.5, 0.1]) == pytest.approx(5 / 6, abs=1e-15)
    assert auroc([1.0, 1.0], [1.0]) == 0.5
    assert auroc([2.0, 3.0], [0.0, 1.0]) == 1.0
    assert auroc([0.0, 1.0], [2.0, 3.0]) == 0.0


def test_auroc_accepts_int_and_float32():
    known, _, unknown = tied_data(7, decimals=0)
    expected = auroc(known, unknown)
    assert auroc(known.astype(np.float32), unknown.astype(np.float32)) == expected
    assert auroc(known.astype(int), unknown.astype(int)) == expected


def test_roc_curve_matches_sklearn():
    known, _, unknown = tied_data(3)
    fpr, tpr = roc_curve(known, unknown)
    sk_fpr, sk_tpr, _ = sk_roc_curve(*sk_inputs(known, unknown), drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tpr, sk_tpr, rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------------------------------------------------
# OSCR
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('decimals', [0, 1, 2])
def test_oscr_matches_brute_force_with_ties(seed, decimals):
    known, correct, unknown = tied_data(seed, n_known=300, n_unknown=200, decimals=decimals)
    assert abs(oscr(known, correct, unknown) - brute_force_oscr(known, correct, unknown)) < 1e-12


def test_oscr_hand_computed():
    known = [0.9, 0.8, 0.5, 0.3]
    correct = [True, False, True, True]
    unknown = [0.85, 0.5, 0.2]
    # Thresholds .9 .85 .8 .5 .3 .2 -> (FPR, CCR): (0,1/4) (1/3,1/4) (1/3,1/4) (2/3,2/4) (2/3,3/4) (1,3/4).
    fpr, ccr = oscr_curve(known, correct, unknown)
    np.testing.assert_allclose(fpr, [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1], atol=1e-15)
    np.testing.assert_allclose(ccr, [0, 1 / 4, 1 / 4, 1 / 4, 2 / 4, 3 / 4, 3 / 4], atol=1e-15)
    # Area: 0 + 1/3 * 1/4 + 1/3 * (1/4 + 1/2) / 2 + 1/3 * 3/4 = 1/12 + 1/8 + 1/4 = 11/24.
    assert oscr(known, correct, unknown) == pytest.approx(11 / 24, abs=1e-15)


def test_oscr_perfect_is_exactly_one():
    rng = np.random.default_rng(0)
    known = rng.uniform(1.0, 2.0, 1001)
    unknown = rng.uniform(-1.0, 0.999, 777)
    assert oscr(known, np.ones(1001, dtype=bool), unknown) == 1.0
    assert auroc(known, unknown) == 1.0


def test_oscr_extreme_and_tied_cases():
    correct = np.array([True, True, False, True])
    # Every unknown above every known: the curve stays at CCR 0 until FPR 1.
    assert oscr([0.0, 0.1, 0.2, 0.3], correct, [1.0, 2.0]) == 0.0
    # A single tie group: straight line from (0, 0) to (1, accuracy).
    assert oscr([0.5] * 4, correct, [0.5] * 3) == 3 / 8
    # Perfect separation: the area equals the accuracy.
    assert oscr([2.0, 3.0, 4.0, 5.0], correct, [0.0, 1.0]) == 0.75


def test_oscr_curve_end_points():
    known, correct, unknown = tied_data(11)
    fpr, ccr = oscr_curve(known, correct, unknown)
    assert (fpr[0], ccr[0]) == (0.0, 0.0)
    assert (fpr[-1], ccr[-1]) == (1.0, correct.mean())
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(ccr) >= 0)
    assert len(fpr) == len(np.unique(np.r_[known, unknown])) + 1


def test_oscr_accepts_zero_one_correct():
    known, correct, unknown = tied_data(5)
    assert oscr(known, correct.astype(int), unknown) == oscr(known, correct, unknown)


# ----------------------------------------------------------------------------------------------------------------------
# FPR@TPR
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('tpr', [0.5, 0.9, 0.95, 0.999, 1.0])
@pytest.mark.parametrize('decimals', [1, 6])
def test_fpr_at_tpr_matches_sklearn_roc(seed, tpr, decimals):
    known, _, unknown = tied_data(seed, n_known=400, decimals=decimals)
    sk_fpr, sk_tpr, _ = sk_roc_curve(*sk_inputs(known, unknown), drop_intermediate=False)
    assert fpr_at_tpr(known, unknown, tpr) == sk_fpr[sk_tpr >= tpr].min()


def test_fpr_at_tpr_hand_computed():
    known = np.arange(1.0, 21.0)  # 20 known: keeping 95% = 19 samples -> threshold 2
    unknown = [0.0, 1.5, 2.0, 2.5, 30.0]  # 2, 2.5 and 30 are >= 2
    assert threshold_at_tpr(known, 0.95) == 2.0
    assert fpr_at_tpr(known, unknown, 0.95) == 3 / 5
    assert threshold_at_tpr(known, 1.0) == 1.0
    assert fpr_at_tpr(known, unknown, 1.0) == 4 / 5
    # Ties: the threshold keeps the whole tie group, so TPR may exceed the target.
    assert threshold_at_tpr([3.0, 1.0, 1.0, 1.0], 0.5) == 1.0


def test_fpr_at_tpr_rejects_bad_tpr():
    with pytest.raises(ValueError, match='tpr'):
        fpr_at_tpr([1.0], [0.0], 0.0)
    with pytest.raises(ValueError, match='tpr'):
        fpr_at_tpr([1.0], [0.0], 95)


# ----------------------------------------------------------------------------------------------------------------------
# AUPR
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('decimals', [0, 1, 6])
def test_aupr_matches_sklearn(seed, decimals):
    known, _, unknown = tied_data(seed, decimals=decimals)
    y_true, scores = sk_inputs(known, unknown)
    assert abs(aupr_in(known, unknown) - average_precision_score(y_true, scores)) < 1e-12
    assert abs(aupr_out(known, unknown) - average_precision_score(1 - y_true, -scores)) < 1e-12


def test_aupr_hand_computed():
    # In: descending 3 (known, P=1, R=1/2), 2 (unknown), 1 (known, P=2/3, R=1) -> 1/2 * 1 + 1/2 * 2/3 = 5/6.
    assert aupr_in([3.0, 1.0], [2.0]) == pytest.approx(5 / 6, abs=1e-15)
    # Out: ascending 1 (known), 2 (unknown, P=1/2, R=1) -> 1/2.
    assert aupr_out([3.0, 1.0], [2.0]) == pytest.approx(1 / 2, abs=1e-15)
    # A tie group counts once with its pooled precision: all tied -> precision K / (K + U).
    assert aupr_in([1.0, 1.0], [1.0]) == pytest.approx(2 / 3, abs=1e-15)
    assert aupr_out([1.0, 1.0], [1.0]) == pytest.approx(1 / 3, abs=1e-15)


# ----------------------------------------------------------------------------------------------------------------------
# Macro-F1
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('seed', range(4))
def test_macro_f1_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    known, _, unknown = tied_data(seed)
    known_labels = rng.integers(0, 5, len(known))
    known_preds = np.where(rng.random(len(known)) < 0.7, known_labels, rng.integers(0, 5, len(known)))
    unknown_preds = rng.integers(0, 5, len(unknown))
    threshold = threshold_at_tpr(known, 0.95)
    y_true = np.r_[known_labels, np.full(len(unknown), 5)]
    y_pred = np.r_[np.where(known >= threshold, known_preds, 5), np.where(unknown >= threshold, unknown_preds, 5)]
    expected = f1_score(y_true, y_pred, average='macro')
    value = open_set_macro_f1(known, known_labels, known_preds, unknown, unknown_preds, threshold)
    assert abs(value - expected) < 1e-12


def test_macro_f1_hand_computed():
    # Known: (label, pred, score) = (0,0,.9) (1,1,.2 -> unknown) (1,0,.8); unknown: scores .7 (pred 1), .1.
    # y_true = [0, 1, 1, U, U], y_pred = [0, U, 0, 1, U].
    # Class 0: TP 1, FP 1, FN 0 -> 2/3. Class 1: TP 0 -> 0. Unknown: TP 1, FP 1, FN 1 -> 1/2. Mean 7/18.
    value = open_set_macro_f1([0.9, 0.2, 0.8], [0, 1, 1], [0, 1, 0], [0.7, 0.1], [1, 0], threshold=0.5)
    assert value == pytest.approx(7 / 18, abs=1e-15)


def test_macro_f1_rejects_negative_labels():
    with pytest.raises(ValueError, match='known_labels'):
        open_set_macro_f1([1.0], [-1], [0], [0.0], [0], threshold=0.5)
