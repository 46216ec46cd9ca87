"""Plot the ROC and OSCR curves of one or more score dumps written by ``OpenSetScoreDump`` (``tools/test.py --out``).

Example::

    python tools/analysis/plot_osr_curves.py work_dirs/a/scores.npz work_dirs/b/scores.npz \\
        --labels baseline automix --out-dir work_dirs/curves --scores mls knn vim --log-x

Writes ``roc.png`` (TPR of known samples over FPR of unknown samples) and ``oscr.png`` (correct classification rate
over FPR) into ``--out-dir``, one curve per dump and score (``scores_<name>`` of the dump) in one figure; the legend
gives each curve's AUROC / OSCR in percent. The curve points and the numbers come from
``openmixosr.evaluation.functional``, the same code the evaluator uses.

Dumps of a test set with several named unknown sets (``unknown_set`` in the dump, e.g. the Semantic Shift Benchmark's
'easy' and 'hard') give one pair of figures per set, ``roc_<set>.png`` and ``oscr_<set>.png``: each set's curves use
all known samples and that set's unknown samples, as its AUROC / OSCR do. All dumps must then have the same sets.
"""
import argparse
import os
import os.path as osp
from typing import List, NamedTuple, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from openmixosr.evaluation.functional import auroc, oscr, oscr_curve, roc_curve  # noqa: E402


class Dump(NamedTuple):
    """The parts of a score dump the plots need."""
    known_scores: np.ndarray
    known_correct: np.ndarray
    unknown_scores: np.ndarray


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot ROC and OSCR curves of OpenSetScoreDump .npz files.')
    parser.add_argument('dumps', nargs='+', help='.npz files written by OpenSetScoreDump')
    parser.add_argument('--out-dir', required=True,
                        help='directory for roc.png and oscr.png (roc_<set>.png, oscr_<set>.png per unknown set of '
                        'dumps that name them)')
    parser.add_argument('--scores', nargs='+', default=['mls'], metavar='SCORE',
                        help='stored scores to draw (scores_<name> in the dumps), e.g. mls knn vim; default: mls')
    parser.add_argument('--labels', nargs='+', help='legend names, one per dump (default: file names)')
    parser.add_argument('--log-x', action='store_true', help='log-scale FPR axis in the OSCR plot')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.dumps):
        parser.error(f'--labels got {len(args.labels)} names for {len(args.dumps)} dumps.')
    return args


def stored_unknown_sets(path: str) -> Optional[List[str]]:
    """The names of the unknown sets of a dump (sorted), or None when it has no ``unknown_set``."""
    with np.load(path, allow_pickle=False) as data:
        if 'unknown_set' not in data.files:
            return None
        return sorted(set(data['unknown_set'][data['labels'] < 0].tolist()) - {''})


def load_dump(path: str, score: str, unknown_set: Optional[str] = None) -> Dump:
    """Split a dump into known/unknown scores and the correctness of the known samples' predictions.

    Args:
        path (str): ``.npz`` file with ``logits`` [N, C], ``labels`` [N] (-1 = unknown), ``scores_<score>`` [N]
            and, for a test set with named unknown sets, ``unknown_set`` [N].
        score (str): The score's name, e.g. ``'mls'`` or ``'knn'``.
        unknown_set (str, optional): Keep only the unknown samples of this set (all known samples are kept).
            Defaults to None (all unknown samples).

    Returns:
        Dump: known scores, correctness of the known samples, unknown scores.

    Raises:
        KeyError: The dump has no ``scores_<score>``, or not the unknown set; the message lists what it has.
    """
    with np.load(path, allow_pickle=False) as data:
        if f'scores_{score}' not in data.files:
            stored = sorted(name[len('scores_'):] for name in data.files if name.startswith('scores_'))
            raise KeyError(f'{path} has no score {score!r}; it has {stored} (tools/test.py --scores chooses them).')
        logits, labels, scores = data['logits'], data['labels'], data[f'scores_{score}']
        names = data['unknown_set'] if 'unknown_set' in data.files else None
    known = labels >= 0
    unknown = ~known
    if unknown_set is not None:
        stored_sets = [] if names is None else sorted(set(names[unknown].tolist()) - {''})
        if unknown_set not in stored_sets:
            raise KeyError(f'{path} has no unknown set {unknown_set!r}; it has {stored_sets or "none"}.')
        unknown &= names == unknown_set
    correct = logits[known].argmax(axis=1) == labels[known]
    return Dump(scores[known], correct, scores[unknown])


def curve_names(dump_names: List[str], scores: List[str]) -> List[str]:
    """Legend names of the curves of every dump and score: the dump's name, the score's, or both."""
    if len(scores) == 1:
        return list(dump_names)
    if len(dump_names) == 1:
        return list(scores)
    return [f'{dump} {score}' for dump in dump_names for score in scores]


def plot_curves(dumps: List[Dump],
                names: List[str],
                out_dir: str,
                log_x: bool = False,
                unknown_set: Optional[str] = None) -> List[str]:
    """Draw the ROC and OSCR curves of all dumps into ``out_dir/roc.png`` and ``out_dir/oscr.png``.

    Args:
        dumps (list[Dump]): Loaded dumps (one per dump and score).
        names (list[str]): Legend name of each.
        out_dir (str): Output directory (created if missing).
        log_x (bool): Log-scale FPR axis in the OSCR plot (the (0, 0) start point is then not drawn).
        unknown_set (str, optional): The unknown set the dumps were restricted to: named in the titles, and the
            files are ``roc_<set>.png`` and ``oscr_<set>.png``.

    Returns:
        list[str]: Paths of the two written images.
    """
    os.makedirs(out_dir, exist_ok=True)
    fig_roc, ax_roc = plt.subplots(figsize=(5.5, 5))
    fig_oscr, ax_oscr = plt.subplots(figsize=(5.5, 5))
    for dump, name in zip(dumps, names):
        fpr, tpr = roc_curve(dump.known_scores, dump.unknown_scores)
        ax_roc.plot(fpr, tpr, label=f'{name} (AUROC {100 * auroc(dump.known_scores, dump.unknown_scores):.2f})')
        fpr, ccr = oscr_curve(dump.known_scores, dump.known_correct, dump.unknown_scores)
        value = 100 * oscr(dump.known_scores, dump.known_correct, dump.unknown_scores)
        ax_oscr.plot(fpr, ccr, label=f'{name} (OSCR {value:.2f})')
    ax_roc.plot([0, 1], [0, 1], color='grey', linestyle=':', linewidth=1)
    of_set = '' if unknown_set is None else (f'\nunknown set {unknown_set!r}: {len(dumps[0].unknown_scores)} unknown, '
                                             f'{len(dumps[0].known_scores)} known samples')
    _style(ax_roc, f'ROC (known = positive){of_set}', 'FPR (unknown accepted)', 'TPR (known accepted)')
    _style(ax_oscr, f'OSCR{of_set}', 'FPR (unknown accepted)', 'CCR (known accepted and correct)')
    ax_roc.set_xlim(0, 1)
    if log_x:  # the smallest non-zero FPR any dump can reach is 1 / (its number of unknown samples)
        ax_oscr.set_xscale('log')
        ax_oscr.set_xlim(min(1 / len(dump.unknown_scores) for dump in dumps), 1)
    else:
        ax_oscr.set_xlim(0, 1)
    suffix = '' if unknown_set is None else f'_{unknown_set}'
    paths = [osp.join(out_dir, f'roc{suffix}.png'), osp.join(out_dir, f'oscr{suffix}.png')]
    for fig, path in zip((fig_roc, fig_oscr), paths):
        fig.tight_layout()
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return paths


def _style(ax, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right', fontsize='small')


def common_unknown_sets(paths: List[str]) -> Optional[List[str]]:
    """The unknown sets of the dumps (None when none has ``unknown_set``).

    Raises:
        ValueError: The dumps do not all have the same unknown sets.
    """
    stored = {path: stored_unknown_sets(path) for path in paths}
    if len({None if sets is None else tuple(sets) for sets in stored.values()}) > 1:
        listing = ', '.join(f'{path}: {"no unknown_set" if sets is None else sets}' for path, sets in stored.items())
        raise ValueError(f'The dumps have different unknown sets ({listing}); plot dumps of the same test set '
                         'together.')
    return stored[paths[0]]


def main(argv: Optional[List[str]] = None) -> List[str]:
    args = parse_args(argv)
    dump_names = args.labels or [osp.splitext(osp.basename(path))[0] for path in args.dumps]
    names = curve_names(dump_names, args.scores)
    unknown_sets = common_unknown_sets(args.dumps)
    if unknown_sets is None:
        dumps = [load_dump(path, score) for path in args.dumps for score in args.scores]
        paths = plot_curves(dumps, names, args.out_dir, args.log_x)
    else:
        paths = []
        for unknown_set in unknown_sets:
            dumps = [load_dump(path, score, unknown_set) for path in args.dumps for score in args.scores]
            paths += plot_curves(dumps, names, args.out_dir, args.log_x, unknown_set=unknown_set)
    for path in paths:
        print(f'Saved {path}')
    return paths


if __name__ == '__main__':
    main()
