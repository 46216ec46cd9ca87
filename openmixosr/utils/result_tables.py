"""Numbers of several runs in one table: mean and standard deviation, the plain-text seed table, and the mark of
results trained by other code than the table's (:func:`~openmixosr.utils.run_record.other_code`)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

#: Marks a number (or a row) that holds results of runs trained by other code than the code making the table.
OTHER_CODE_MARK = '‡'


def mean_std(values: Sequence[float]) -> Tuple[float, float, int]:
    """Mean, population standard deviation and count of the values: ``std = sqrt(sum((x - mean)^2) / n)``
    (``ddof=0``: the spread of the runs themselves, not an estimate of a larger population).

    Raises:
        ValueError: For no values.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError('mean_std needs at least one value')
    return float(values.mean()), float(values.std()), int(values.size)


def format_mean_std(values: Sequence[float]) -> str:
    """``mean ± std`` with 2 decimals, or the value alone for one value."""
    mean, std, n = mean_std(values)
    return f'{mean:.2f} ± {std:.2f}' if n > 1 else f'{mean:.2f}'


def other_code_lines(descriptions: Sequence[Optional[str]], option: str = '--rerun-other-code') -> List[str]:
    """The note under a table with marked results: one line per code version they came from (empty when none)."""
    versions = sorted({text for text in descriptions if text})
    if not versions:
        return []
    return [f'{OTHER_CODE_MARK} Includes runs trained by other code than this checkout\'s (their records are kept; '
            f'{option} trains them again):'] + [f'  - {text}' for text in versions]


#: Columns of :func:`format_seed_table`: (header, metric of the run) and (header, key of a paper row's results).
SEED_TABLE_METRICS = (('accuracy', 'osr/accuracy'), ('AUROC', 'osr/auroc'), ('OSCR', 'osr/oscr'))
SEED_TABLE_PAPER_METRICS = (('paper acc.', 'accuracy'), ('paper AUROC', 'auroc'), ('paper OSCR', 'oscr'))


def format_seed_table(results: Dict[str, List[dict]], title: str, paper: Optional[Dict[str, dict]] = None,
                      other_code: Optional[Dict[str, List[Optional[str]]]] = None) -> str:
    """A plain-text table of one split's runs (``tools/reproduce_ablation.py``, ``tools/linear_eval_table.py``): one
    row per method, :func:`format_mean_std` over its runs (seeds) of accuracy, AUROC and OSCR (in %), then the
    paper's numbers if given.

    Args:
        results (dict): Method -> list of metric records (one per seed, each a distinct run).
        title (str): First line.
        paper (dict, optional): Method -> the paper's published numbers (``accuracy``, ``auroc``, ``oscr``); a paper
            column is shown when any method has that number.
        other_code (dict, optional): Method -> for each of its runs, the code it was trained by when that is not the
            current code (None otherwise); a method with such a run is marked :data:`OTHER_CODE_MARK`, with a note.
    """
    paper, other_code = paper or {}, other_code or {}
    paper_columns = [(name, key) for name, key in SEED_TABLE_PAPER_METRICS
                     if any(key in numbers for numbers in paper.values())]
    header = ['method'] + [name for name, _ in SEED_TABLE_METRICS] + [name for name, _ in paper_columns]
    rows = []
    for method, runs in results.items():
        cells = [method + (f' {OTHER_CODE_MARK}' if any(other_code.get(method, ())) else '')]
        cells += [format_mean_std([run[key] for run in runs]) for _, key in SEED_TABLE_METRICS]
        numbers = paper.get(method, {})
        cells += [f'{numbers[key]:.2f}' if key in numbers else '' for _, key in paper_columns]
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    line = lambda cells: ' | '.join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    rule = '-+-'.join('-' * w for w in widths)
    notes = other_code_lines([text for texts in other_code.values() for text in texts])
    return '\n'.join([title, line(header), rule] + [line(row) for row in rows] + notes)
