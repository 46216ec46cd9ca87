"""Named unknown sets of one evaluation set (the Semantic Shift Benchmark's 'easy' and 'hard'): the rules a test
set and :class:`~openmixosr.evaluation.metrics.open_set.OpenSetEvaluator` ``(unknown_sets=...)`` must agree on
(docs/metrics.md, "Several unknown sets")."""
from typing import Optional, Sequence, Tuple

import numpy as np

UnknownSetNames = Sequence[Optional[str]]  # the ``unknown_set`` of each sample, None where a sample has none


def check_unknown_sets(unknown_sets: Optional[Sequence[str]]) -> Optional[Tuple[str, ...]]:
    """``unknown_sets`` of :class:`~openmixosr.evaluation.metrics.open_set.OpenSetEvaluator` as a tuple, or None.

    Raises:
        ValueError: A single string, an empty sequence, an empty name, a name with ``/`` (it separates the parts of
            the metric names) or a name given twice.
    """
    if unknown_sets is None:
        return None
    if isinstance(unknown_sets, str):
        raise ValueError(f'unknown_sets must be a sequence of set names, got the string {unknown_sets!r} '
                         f'(write ({unknown_sets!r}, ) for one set).')
    unknown_sets = tuple(unknown_sets)
    if not unknown_sets:
        raise ValueError('unknown_sets is empty: name the unknown sets, e.g. (\'easy\', \'hard\'), or leave it None.')
    for name in unknown_sets:
        if not isinstance(name, str) or not name or '/' in name:
            raise ValueError(f'unknown_sets must hold non-empty names without "/", got {name!r} in {unknown_sets}.')
    duplicates = sorted({name for name in unknown_sets if unknown_sets.count(name) > 1})
    if duplicates:
        raise ValueError(f'unknown_sets names {duplicates} more than once ({unknown_sets}): their metrics '
                         'osr/<set>/* would overwrite each other.')
    return unknown_sets


def unknown_set_problem(labels: np.ndarray,
                        names: Optional[UnknownSetNames],
                        unknown_sets: Optional[Sequence[str]],
                        where: str = 'test set') -> Optional[str]:
    """What is wrong with the ``unknown_set`` names of an evaluation set for ``OpenSetEvaluator(unknown_sets)``.

    The contract: a known sample (label >= 0) has ``unknown_set == ''``, an unknown sample (label -1) the name of its
    set, one of ``unknown_sets``, and every set of ``unknown_sets`` has at least one sample. Without ``unknown_sets``
    no sample may name a set (the metrics would silently merge the sets).

    Args:
        labels (np.ndarray): [N] labels, -1 = unknown.
        names (Sequence[str | None], optional): [N] ``unknown_set`` of each sample (None where a sample has none),
            or None when no sample has the field.
        unknown_sets (Sequence[str], optional): The evaluator's ``unknown_sets``.
        where (str): The evaluation set, for the message (``'test set'``, ``'validation set'``).

    Returns:
        str | None: The message of the first problem found, or None.
    """
    labels = np.asarray(labels).reshape(-1)
    if names is None:
        if unknown_sets is None:
            return None
        names = [None] * len(labels)
    names = list(names)
    if len(names) != len(labels):
        raise ValueError(f'{len(names)} unknown_set names for {len(labels)} labels.')
    if unknown_sets is None:
        named = sorted({str(name) for name in names if name})
        if named:
            return (f'The {where} has named unknown sets {named} (the samples\' `unknown_set`), but OpenSetEvaluator '
                    f'has no `unknown_sets`: set `unknown_sets={tuple(named)}` in the evaluator. (Metrics against '
                    'all unknown sets merged are not benchmark numbers.)')
        return None
    missing = sum(name is None for name in names)
    if missing:
        return (f'OpenSetEvaluator(unknown_sets={tuple(unknown_sets)}) reads the unknown set of every sample, but '
                f'{missing} of the {len(names)} samples of the {where} have no `unknown_set` field: use a dataset '
                "whose samples carry it and add `algorithm_keys=('unknown_set',)` to the pipeline's PackInputs.")
    names = np.asarray(names, dtype=str)
    named_known = np.flatnonzero((labels >= 0) & (names != ''))
    if named_known.size:
        index = named_known[0]
        return (f'{named_known.size} known sample(s) of the {where} (gt_label >= 0) name an unknown set, e.g. sample '
                f"{index} (gt_label {int(labels[index])}, unknown_set {str(names[index])!r}): known samples have "
                "unknown_set ''.")
    unnamed_unknown = np.flatnonzero((labels < 0) & (names == ''))
    if unnamed_unknown.size:
        return (f'{unnamed_unknown.size} unknown sample(s) of the {where} (gt_label -1) have the unknown_set '
                f"'', e.g. sample {unnamed_unknown[0]}: unknown samples name their set, one of {tuple(unknown_sets)}.")
    present = set(np.unique(names[labels < 0]).tolist())
    others = sorted(present - set(unknown_sets))
    if others:
        return (f'The {where} has unknown samples of the sets {others}, which are not in the evaluator\'s '
                f'unknown_sets {tuple(unknown_sets)}: add them to `unknown_sets`.')
    empty = [name for name in unknown_sets if name not in present]
    if empty:
        return (f'The unknown sets {empty} of the evaluator\'s unknown_sets {tuple(unknown_sets)} have no sample in '
                f'the {where} (it has {sorted(present)}): check the dataset\'s unknown sets or remove them from '
                '`unknown_sets`.')
    return None
