"""Plot the ROC and OSCR curves of one or more score dumps written by ``OpenSetScoreDump`` (``tools/test.py --out``).

Example::

    python tools/analysis/plot_osr_curves.py work_dirs/a/scores.npz work_dirs/b/scores.npz \\
        --labels baseline automix --out-dir work_dirs/curves --scores mls knn vim --log-x

Writes ``roc.png`` (TPR of known samples over FPR of unknown samples) and ``oscr.png`` (correct classification rate
over FPR) into ``--out-dir``, one curve per dump and score (``scores_<name>`` of the dump) in one figure; the legend
gives each curve's AUROC / OSCR in percent. The curve points and the numbers come from
``openmixosr.evaluation.functional``, the same code the evaluator uses.
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
    parser.add_argument('--out-dir', required=True, help='directory for roc.png and oscr.png')
    parser.add_argument('--scores', nargs='+', default=['mls'], metavar='SCORE',
                        help='stored scores to draw (scores_<name> in the dumps), e.g. mls knn vim; default: mls')
    parser.add_argument('--labels', nargs='+', help='legend names, one per dump (default: file names)')
    parser.add_argument('--log-x', action='store_true', help='log-scale FPR axis in the OSCR plot')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.dumps):
        parser.error(f'--labels got {len(args.labels)} names for {len(args.dumps)} dumps.')
    return args


def load_dump(path: str, score: str) -> Dump:
    """Split a dump into known/unknown scores and the correctness of the known samples' predictions.

    Args:
        path (str): ``.npz`` file with ``logits`` [N, C], ``labels`` [N] (-1 = unknown) and ``scores_<score>`` [N].
        score (str): The score's name, e.g. ``'mls'`` or ``'knn'``.

    Returns:
        Dump: known scores, correctness of the known samples, unknown scores.

    Raises:
        KeyError: The dump has no ``scores_<score>``; the message lists the scores it has.
    """
    with np.load(path, allow_pickle=False) as data:
        if f'scores_{score}' not in data.files:
            stored = sorted(name[len('scores_'):] for name in data.files if name.startswith('scores_'))
            raise KeyError(f'{path} has no score {score!r}; it has {stored} (tools/test.py --scores chooses them).')
        logits, labels, scores = data['logits'], data['labels'], data[f'scores_{score}']
    known = labels >= 0
    correct = logits[known].argmax(axis=1) == labels[known]
    return Dump(scores[known], correct, scores[~known])


def curve_names(dump_names: List[str], scores: List[str]) -> List[str]:
    """Legend names of the curves of every dump and score: the dump's name, the score's, or both."""
    if len(scores) == 1:
        return list(dump_names)
    if len(dump_names) == 1:
        return list(scores)
    return [f'{dump} {score}' for dump in dump_names for score in scores]


def plot_curves(dumps: List[Dump], names: List[str], out_dir: str, log_x: bool = False) -> List[str]:
    """Draw the ROC and OSCR curves of all dumps into ``out_dir/roc.png`` and ``out_dir/oscr.png``.

    Args:
        dumps (list[Dump]): Loaded dumps (one per dump and score).
        names (list[str]): Legend name of each.
        out_dir (str): Output directory (created if missing).
        log_x (bool): Log-scale FPR axis in the OSCR plot (the (0, 0) start point is then not drawn).

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
    _style(ax_roc, 'ROC (known = positive)', 'FPR (unknown accepted)', 'TPR (known accepted)')
    _style(ax_oscr, 'OSCR', 'FPR (unknown accepted)', 'CCR (known accepted and correct)')
    ax_roc.set_xlim(0, 1)
    if log_x:  # the smallest non-zero FPR any dump can reach is 1 / (its number of unknown samples)
        ax_oscr.set_xscale('log')
        ax_oscr.set_xlim(min(1 / len(dump.unknown_scores) for dump in dumps), 1)
    else:
        ax_oscr.set_xlim(0, 1)
    paths = [osp.join(out_dir, 'roc.png'), osp.join(out_dir, 'oscr.png')]
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


def main(argv: Optional[List[str]] = None) -> List[str]:
    args = parse_args(argv)
    dump_names = args.labels or [osp.splitext(osp.basename(path))[0] for path in args.dumps]
    dumps = [load_dump(path, score) for path in args.dumps for score in args.scores]
    paths = plot_curves(dumps, curve_names(dump_names, args.scores), args.out_dir, args.log_x)
    for path in paths:
        print(f'Saved {path}')
    return paths


if __name__ == '__main__':
    main()
