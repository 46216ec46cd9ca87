"""Open-set metrics (docs/metrics.md, Method reference): numpy arrays of scores in, float out. The scores themselves
are the registered ``OpenSetScore`` classes of :mod:`openmixosr.evaluation.scores` (one score system).

Convention: a score is "higher = more known". Known samples are the positive class unless a function says
otherwise. Every metric sorts the pooled scores once and groups ties (:func:`_grouped_counts`); thresholds are the
distinct scores, and a sample is accepted as known at threshold ``t`` when its score is ``>= t``. Counts are int64 and
each metric does its final division once, so the perfect cases come out as exactly 1.0.

Undefined cases raise ``ValueError``: empty known or unknown sets, NaN or inf scores, non 1-D inputs.
"""
from typing import NamedTuple, Optional, Tuple

import numpy as np


# ----------------------------------------------------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------------------------------------------------
def _check_finite(values: np.ndarray, name: str) -> None:
    """Raise a ``ValueError`` naming the problem if ``values`` contains NaN or inf."""
    if np.isfinite(values).all():
        return
    problem = 'NaN' if np.isnan(values).any() else 'inf'
    raise ValueError(f'{name} contain {problem}; open-set metrics are undefined for non-finite scores.')


def _check_scores(scores, name: str) -> np.ndarray:
    """Return ``scores`` as a finite, non-empty 1-D float64 array (no copy if it already is one).

    Args:
        scores (array_like): Scores, higher = more known.
        name (str): ``'known scores'`` or ``'unknown scores'``, used in the error messages.

    Returns:
        np.ndarray: float64 array of shape [N], N >= 1.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {scores.shape}.')
    if scores.size == 0:
        raise ValueError(f'{name} are empty: AUROC/OSCR and the other open-set metrics are undefined without '
                         f'{name.split()[0]} samples.')
    _check_finite(scores, name)
    return scores


def _check_same_length(array, reference: np.ndarray, name: str) -> np.ndarray:
    """Return ``array`` as a 1-D array with as many entries as ``reference`` (the scores it belongs to)."""
    array = np.asarray(array)
    if array.ndim != 1 or array.shape[0] != reference.shape[0]:
        raise ValueError(f'{name} must be 1-D with one entry per score ({reference.shape[0]}), '
                         f'got shape {array.shape}.')
    return array


def _check_correct(known_correct, known_scores: np.ndarray) -> np.ndarray:
    """Return ``known_correct`` as a bool array; it must hold booleans or 0/1, one per known score."""
    correct = _check_same_length(known_correct, known_scores, 'known_correct')
    if correct.dtype != np.bool_:
        if not np.isin(correct, (0, 1)).all():
            raise ValueError('known_correct must contain booleans (or 0/1).')
        correct = correct.astype(np.bool_)
    return correct


# ----------------------------------------------------------------------------------------------------------------------
# Sort once, group ties
# ----------------------------------------------------------------------------------------------------------------------
class _GroupedCounts(NamedTuple):
    """Cumulative counts at the distinct thresholds, from the highest threshold to the lowest.

    Entry ``g`` (``g >= 1``) counts samples with score ``>= s_g``, where ``s_1 > s_2 > ... > s_G`` are the distinct
    pooled scores; entry 0 is the empty acceptance set (threshold above every score), so every array starts with 0 and
    ends with the total. All arrays are int64 of length G + 1.
    """
    known: np.ndarray
    unknown: np.ndarray
    correct: Optional[np.ndarray]  # known AND correctly classified; None if not requested


def _grouped_counts(known_scores: np.ndarray,
                    unknown_scores: np.ndarray,
                    known_correct: Optional[np.ndarray] = None) -> _GroupedCounts:
    """One sort of the pooled scores, ties grouped, cumulative int64 counts at each distinct score.

    The pooled array is laid out as ``[known correct, known wrong, unknown]``, so after the argsort the class of a
    sample follows from its original index alone (``index < n_known`` means known) and no label array has to be
    gathered through the permutation.

    Args:
        known_scores (np.ndarray): Validated scores of the known samples, shape [K].
        unknown_scores (np.ndarray): Validated scores of the unknown samples, shape [U].
        known_correct (np.ndarray, optional): Bool [K], whether each known sample is classified correctly.

    Returns:
        _GroupedCounts: cumulative counts, see the class docstring.
    """
    n_known = known_scores.shape[0]
    if known_correct is None:
        pooled = np.concatenate((known_scores, unknown_scores))
    else:
        pooled = np.concatenate((known_scores[known_correct], known_scores[~known_correct], unknown_scores))
    # Ascending argsort read backwards: descending scores. The order inside a tie group does not matter.
    order = np.argsort(pooled)[::-1]
    sorted_scores = pooled[order]
    # Last index of each tie group in the descending order.
    group_ends = np.append(np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), sorted_scores.shape[0] - 1)

    def cumulative(is_member: np.ndarray) -> np.ndarray:
        counts = np.empty(group_ends.shape[0] + 1, dtype=np.int64)
        counts[0] = 0
        counts[1:] = np.cumsum(is_member, dtype=np.int64)[group_ends]
        return counts

    known = cumulative(order < n_known)
    unknown = np.arange(1, pooled.shape[0] + 1, dtype=np.int64)[group_ends]
    unknown = np.concatenate(([0], unknown)) - known
    correct = None
    if known_correct is not None:
        correct = cumulative(order < np.count_nonzero(known_correct))
    return _GroupedCounts(known, unknown, correct)


def _checked_counts(known_scores, unknown_scores, known_correct=None) -> _GroupedCounts:
    """Validate the inputs of a curve or threshold-free metric and return their grouped counts.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].
        known_correct (array_like, optional): Bool (or 0/1) [K], whether each known sample is classified correctly;
            given for OSCR, which also counts the correctly classified known samples.

    Returns:
        _GroupedCounts: See :func:`_grouped_counts`.
    """
    known_scores = _check_scores(known_scores, 'known scores')
    unknown_scores = _check_scores(unknown_scores, 'unknown scores')
    if known_correct is not None:
        known_correct = _check_correct(known_correct, known_scores)
    return _grouped_counts(known_scores, unknown_scores, known_correct)


# ----------------------------------------------------------------------------------------------------------------------
# Curves and threshold-free metrics
# ----------------------------------------------------------------------------------------------------------------------
def roc_curve(known_scores, unknown_scores) -> Tuple[np.ndarray, np.ndarray]:
    """ROC curve with known samples as the positive class.

    One point per distinct score ``t`` (ties grouped), plus the start point ``(0, 0)``:
    ``TPR(t) = #{known >= t} / K`` and ``FPR(t) = #{unknown >= t} / U``. The last point is ``(1, 1)``.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(fpr, tpr)``, both float64 of shape [G + 1], non-decreasing.
    """
    counts = _checked_counts(known_scores, unknown_scores)
    return counts.unknown / counts.unknown[-1], counts.known / counts.known[-1]


def auroc(known_scores, unknown_scores) -> float:
    """Area under the ROC curve, known = positive, ties get half credit (equals sklearn ``roc_auc_score``).

    Mann-Whitney form: ``AUROC = (#{(k, u): s_k > s_u} + 0.5 * #{(k, u): s_k = s_u}) / (K * U)`` over all pairs of a
    known sample ``k`` and an unknown sample ``u``. With tie groups ``g`` holding ``k_g`` known and ``u_g`` unknown
    samples and ``C_g`` unknown samples in groups ``1..g`` (descending), twice the numerator is the integer
    ``sum_g k_g * (2U - C_g - C_{g-1})``; the only float operation is the final division.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        float: AUROC in [0, 1].
    """
    counts = _checked_counts(known_scores, unknown_scores)
    n_known, n_unknown = int(counts.known[-1]), int(counts.unknown[-1])
    known_per_group = np.diff(counts.known)
    twice_numerator = int(np.dot(known_per_group, 2 * n_unknown - counts.unknown[1:] - counts.unknown[:-1]))
    return twice_numerator / (2 * n_known * n_unknown)


def oscr_curve(known_scores, known_correct, unknown_scores) -> Tuple[np.ndarray, np.ndarray]:
    """Open-set classification rate curve: CCR over FPR (Dhamija et al. 2018; docs/metrics.md, Method reference).

    One point per distinct score ``t`` (ties grouped), preceded by ``(0, 0)``:
    ``CCR(t) = #{known correctly classified and score >= t} / K``, ``FPR(t) = #{unknown with score >= t} / U``.
    The last point is ``(1, accuracy)``.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        known_correct (array_like): Bool (or 0/1) [K], whether the closed-set prediction of each known sample is right.
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(fpr, ccr)``, both float64 of shape [G + 1], non-decreasing.
    """
    counts = _checked_counts(known_scores, unknown_scores, known_correct)
    return counts.unknown / counts.unknown[-1], counts.correct / counts.known[-1]


def oscr(known_scores, known_correct, unknown_scores) -> float:
    """Exact OSCR: trapezoid area under the :func:`oscr_curve` points (docs/metrics.md, Method reference).

    With ``C_g`` the number of unknown and ``R_g`` the number of correctly classified known samples with score
    ``>= s_g`` (``C_0 = R_0 = 0``), ``OSCR = sum_g (C_g - C_{g-1}) * (R_g + R_{g-1}) / (2 * K * U)``, summed in int64
    and divided once. Perfect separation with full accuracy gives exactly 1.0; O(n log n).

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        known_correct (array_like): Bool (or 0/1) [K], whether the closed-set prediction of each known sample is right.
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        float: OSCR in [0, accuracy].
    """
    counts = _checked_counts(known_scores, unknown_scores, known_correct)
    n_known, n_unknown = int(counts.known[-1]), int(counts.unknown[-1])
    twice_area = int(np.dot(np.diff(counts.unknown), counts.correct[1:] + counts.correct[:-1]))
    return twice_area / (2 * n_known * n_unknown)


def _average_precision(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Step-wise average precision from cumulative counts at descending thresholds (both start at 0).

    ``AP = sum_g (P_g - P_{g-1}) / P * P_g / (P_g + N_g)``: recall increments times the precision at that threshold,
    the definition of sklearn ``average_precision_score``.
    """
    new_positives = np.diff(positives)
    hit = new_positives > 0  # groups without new positives add nothing (and may have P_g + N_g = 0)
    precision = positives[1:][hit] / (positives[1:][hit] + negatives[1:][hit])
    return float(np.dot(new_positives[hit], precision)) / int(positives[-1])


def aupr_in(known_scores, unknown_scores) -> float:
    """AUPR-In: average precision with known samples as positive, higher score = more known.

    ``AP = sum_t (R(t) - R(t_prev)) * P(t)`` over the distinct scores ``t`` in descending order, with
    ``R(t) = #{known >= t} / K`` and ``P(t) = #{known >= t} / #{all >= t}`` (sklearn ``average_precision_score``,
    no interpolation).

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        float: AUPR-In in (0, 1].
    """
    counts = _checked_counts(known_scores, unknown_scores)
    return _average_precision(counts.known, counts.unknown)


def aupr_out(known_scores, unknown_scores) -> float:
    """AUPR-Out: average precision with unknown samples as positive, scored by the negated score.

    Same definition as :func:`aupr_in` with the roles swapped: thresholds walk the distinct scores in ascending order
    and a sample is flagged unknown when its score is ``<= t``. Computed from the same grouped counts, read backwards:
    ``#{unknown <= s_g} = U - C_{g-1}``.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].

    Returns:
        float: AUPR-Out in (0, 1].
    """
    counts = _checked_counts(known_scores, unknown_scores)
    unknown_below = (counts.unknown[-1] - counts.unknown)[::-1]
    known_below = (counts.known[-1] - counts.known)[::-1]
    return _average_precision(unknown_below, known_below)


# ----------------------------------------------------------------------------------------------------------------------
# Metrics at a threshold
# ----------------------------------------------------------------------------------------------------------------------
def _check_tpr(tpr: float) -> float:
    if not 0 < tpr <= 1:
        raise ValueError(f'tpr must be in (0, 1], got {tpr}.')
    return tpr


def threshold_at_tpr(known_scores, tpr: float = 0.95) -> float:
    """The largest threshold ``t`` such that ``#{known >= t} / K >= tpr``.

    With the known scores sorted descending, ``s_(1) >= ... >= s_(K)``, this is ``s_(j)`` for the smallest ``j`` with
    ``j / K >= tpr`` (the ratio is computed in floating point, like sklearn's ROC TPR).

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        tpr (float): Fraction of known samples to keep, in (0, 1]. Defaults to 0.95.

    Returns:
        float: The threshold, one of the known scores.
    """
    known_scores = _check_scores(known_scores, 'known scores')
    _check_tpr(tpr)
    n_known = known_scores.shape[0]
    kept = np.arange(1, n_known + 1) / n_known
    j = int(np.searchsorted(kept, tpr, side='left'))  # 0-based: s_(j + 1) in the docstring's notation
    # The (j + 1)-th largest score is the (K - 1 - j)-th smallest.
    return float(np.partition(known_scores, n_known - 1 - j)[n_known - 1 - j])


def fpr_at_tpr(known_scores, unknown_scores, tpr: float = 0.95) -> float:
    """FPR@TPR, classic definition: fraction of unknown samples accepted at :func:`threshold_at_tpr`.

    ``FPR@TPR = #{unknown >= t*} / U`` with ``t*`` the largest threshold keeping at least ``tpr`` of the known
    samples. Equals the smallest FPR among the ROC points (all distinct thresholds) with TPR >= ``tpr``.

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].
        tpr (float): Target true positive rate (known kept), in (0, 1]. Defaults to 0.95.

    Returns:
        float: FPR in [0, 1].
    """
    threshold = threshold_at_tpr(known_scores, tpr)
    unknown_scores = _check_scores(unknown_scores, 'unknown scores')
    return np.count_nonzero(unknown_scores >= threshold) / unknown_scores.shape[0]


def _check_class_indices(values: np.ndarray, name: str) -> np.ndarray:
    """Return integer class indices as int64; they must be >= 0 (-1 stands for "unknown" inside the F1)."""
    if not np.issubdtype(values.dtype, np.integer) or (values < 0).any():
        raise ValueError(f'{name} must be non-negative integer class indices.')
    return values.astype(np.int64, copy=False)


def open_set_macro_f1(known_scores, known_labels, known_preds, unknown_scores, unknown_preds,
                      threshold: float) -> float:
    """Open-set macro-F1 over the known classes plus "unknown", at a score threshold.

    A sample with score ``< threshold`` is predicted "unknown"; otherwise it gets its closed-set prediction. Unknown
    samples have the true label "unknown". With ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``, the result is the mean of
    ``F1_c`` over the classes that occur in the true or the predicted labels (sklearn
    ``f1_score(average='macro')`` with its default ``labels``; "unknown" is encoded as -1 here).

    Args:
        known_scores (array_like): Scores of the known test samples, shape [K].
        known_labels (array_like): Int class indices (>= 0) of the known test samples, shape [K].
        known_preds (array_like): Int closed-set predictions (argmax) of the known test samples, shape [K].
        unknown_scores (array_like): Scores of the unknown test samples, shape [U].
        unknown_preds (array_like): Int closed-set predictions of the unknown test samples, shape [U].
        threshold (float): Samples with a score below it are rejected as unknown.

    Returns:
        float: Macro-F1 in [0, 1].
    """
    known_scores = _check_scores(known_scores, 'known scores')
    unknown_scores = _check_scores(unknown_scores, 'unknown scores')
    known_labels = _check_same_length(known_labels, known_scores, 'known_labels')
    known_preds = _check_same_length(known_preds, known_scores, 'known_preds')
    unknown_preds = _check_same_length(unknown_preds, unknown_scores, 'unknown_preds')
    known_labels, known_preds, unknown_preds = (
        _check_class_indices(values, name) for values, name in ((known_labels, 'known_labels'),
                                                                (known_preds, 'known_preds'),
                                                                (unknown_preds, 'unknown_preds')))
    unknown = -1
    y_true = np.concatenate((known_labels, np.full(unknown_scores.shape[0], unknown)))
    y_pred = np.concatenate((np.where(known_scores >= threshold, known_preds, unknown),
                             np.where(unknown_scores >= threshold, unknown_preds, unknown)))
    _, codes = np.unique(np.concatenate((y_true, y_pred)), return_inverse=True)
    true_codes, pred_codes = codes[:y_true.shape[0]], codes[y_true.shape[0]:]
    n_classes = int(codes.max()) + 1
    true_positives = np.bincount(true_codes[true_codes == pred_codes], minlength=n_classes)
    support = np.bincount(true_codes, minlength=n_classes) + np.bincount(pred_codes, minlength=n_classes)
    return float(np.mean(2 * true_positives / support))
