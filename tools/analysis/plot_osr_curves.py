"""Plot the ROC and OSCR curves of one or more score dumps written by ``OpenSetScoreDump`` (``tools/test.py --out``).

Example::

    python tools/analysis/plot_osr_curves.py work_dirs/a/scores.npz work_dirs/b/scores.npz \\
        --out-dir work_dirs/curves --format pdf --scores mls knn --labels CE AutoMix --title 'Digits, split 0'

Writes two figures into the folder ``--out-dir`` (created if missing): ``roc.<format>`` (TPR of known samples over
FPR of unknown samples) and ``oscr.<format>`` (correct classification rate over FPR), one curve per dump and score
(``scores_<name>`` of the dump); the legend gives each curve's AUROC / OSCR in percent. ``--out-dir`` names a folder:
a name with a figure extension (``roc.pdf``) is refused, ``--format`` chooses the file type. The curve points and the
numbers come from ``openmixosr.evaluation.functional``, the same code the evaluator uses.

Legend labels: ``--labels``, one per dump; by default the config each dump records (``config``, written by
``tools/test.py --out``), e.g. ``ce_r18w16_digits`` for ``configs/baselines/ce_r18w16_digits.py``. Two dumps with the
same label (the same config, e.g. two splits) are refused without ``--labels``; a dump without ``config`` (written
before it was recorded) is labelled by its file name, with a note. With several scores the score's name is added (one
dump: the score alone, and the legend's title names the method). Colours are the Okabe-Ito palette (distinguishable with
the common colour-vision deficiencies): one colour per dump and one line style per score when there are several of both.
PDF and SVG keep the text as text (TrueType fonts in PDF, as publishers ask).

Dumps of a test set with several named unknown sets (``unknown_set`` in the dump, e.g. the Semantic Shift Benchmark's
'easy' and 'hard') give one pair of figures per set, ``roc_<set>.<format>`` and ``oscr_<set>.<format>``: each set's
curves use all known samples and that set's unknown samples, as its AUROC / OSCR do. All dumps must then have the same
sets.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, NamedTuple, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backend_bases import FigureCanvasBase  # noqa: E402

from openmixosr.evaluation.functional import auroc, oscr, oscr_curve, roc_curve  # noqa: E402
from openmixosr.utils.tool_errors import run_tool  # noqa: E402

#: The file types ``--format`` offers.
FORMATS = ('png', 'pdf', 'svg')
#: Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, reddish purple, orange, sky blue,
#: black, yellow (last: faint on white).
OKABE_ITO = ('#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442')
LINE_STYLES = ('-', '--', '-.', ':')
DEFAULT_FIG_SIZE = (4.5, 4.0)  # inches
DEFAULT_FONT_SIZE = 10.0  # points
PNG_DPI = 150
#: Titles of the figures without ``--title``.
DEFAULT_TITLES = dict(roc='ROC (known = positive)', oscr='OSCR')


class Dump(NamedTuple):
    """The parts of a score dump the plots need."""
    known_scores: np.ndarray
    known_correct: np.ndarray
    unknown_scores: np.ndarray


class FigureStyle(NamedTuple):
    """How the figures look and are saved.

    Attributes:
        format (str): File type, one of :data:`FORMATS`.
        title (str, optional): Title of both figures; None: :data:`DEFAULT_TITLES`; ``''``: none.
        font_size (float): Font size in points (legend and ticks 0.85 of it).
        fig_size (tuple[float, float]): Width and height in inches.
    """
    format: str = 'png'
    title: Optional[str] = None
    font_size: float = DEFAULT_FONT_SIZE
    fig_size: Tuple[float, float] = DEFAULT_FIG_SIZE


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot ROC and OSCR curves of OpenSetScoreDump .npz files '
                                     '(tools/test.py --out).')
    parser.add_argument('dumps', nargs='+', help='.npz files written by tools/test.py --out (OpenSetScoreDump)')
    parser.add_argument('--out-dir', required=True,
                        help='folder (created if missing) for roc.<format> and oscr.<format> (roc_<set>.<format>, '
                        'oscr_<set>.<format> per unknown set of dumps that name them); a name with a figure '
                        'extension such as roc.pdf is refused: --format chooses the file type')
    parser.add_argument('--format', choices=FORMATS, default='png', help='file type of the figures (default: png)')
    parser.add_argument('--scores', nargs='+', default=['mls'], metavar='SCORE',
                        help='stored scores to draw (scores_<name> in the dumps), e.g. mls knn vim (default: mls)')
    parser.add_argument('--labels', nargs='+',
                        help='legend names, one per dump (default: the config each dump records, e.g. '
                        'ce_r18w16_digits; dumps of the same config need --labels)')
    parser.add_argument('--title', help=f'title of both figures (default: "{DEFAULT_TITLES["roc"]}" and '
                        f'"{DEFAULT_TITLES["oscr"]}"; \'\' for none)')
    parser.add_argument('--font-size', type=float, default=DEFAULT_FONT_SIZE,
                        help='font size in points (default: %(default)s)')
    parser.add_argument('--fig-size', type=float, nargs=2, default=DEFAULT_FIG_SIZE, metavar=('WIDTH', 'HEIGHT'),
                        help=f'figure size in inches (default: {DEFAULT_FIG_SIZE[0]} {DEFAULT_FIG_SIZE[1]}; a '
                        'single column is about 3.3 wide)')
    parser.add_argument('--log-x', action='store_true', help='log-scale FPR axis in the OSCR plot')
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.dumps):
        parser.error(f'--labels got {len(args.labels)} names for {len(args.dumps)} dumps.')
    problem = out_dir_problem(args.out_dir)
    if problem:
        parser.error(problem)
    if args.font_size <= 0 or min(args.fig_size) <= 0:
        parser.error(f'--font-size and --fig-size must be positive, got {args.font_size} and {args.fig_size}.')
    args.fig_size = tuple(args.fig_size)
    return args


def out_dir_problem(out_dir: str) -> Optional[str]:
    """Why ``out_dir`` cannot be the folder of the figures (a figure file name, an existing file), or None."""
    extension = osp.splitext(out_dir.rstrip('/\\'))[1].lstrip('.').lower()
    if extension in FigureCanvasBase.get_supported_filetypes():
        return (f'--out-dir {out_dir!r} looks like a figure file, but it names the folder that receives roc.<format> '
                f'and oscr.<format>: write e.g. `--out-dir {osp.dirname(out_dir) or "."} --format '
                f'{extension if extension in FORMATS else "pdf"}`.')
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        return f'--out-dir {out_dir!r} is an existing file, not a folder.'
    return None


def stored_unknown_sets(path: str) -> Optional[List[str]]:
    """The names of the unknown sets of a dump (sorted), or None when it has no ``unknown_set``."""
    with np.load(path, allow_pickle=False) as data:
        if 'unknown_set' not in data.files:
            return None
        return sorted(set(data['unknown_set'][data['labels'] < 0].tolist()) - {''})


def recorded_config(path: str) -> Optional[str]:
    """The config a dump records (``config``, written by ``tools/test.py --out``), or None."""
    with np.load(path, allow_pickle=False) as data:
        return str(data['config']) if 'config' in data.files else None


def dump_labels(paths: Sequence[str]) -> List[str]:
    """The default legend name of each dump: the name of the config it records (``configs/x/ce_r18.py`` ->
    ``ce_r18``), else its file name with a note on stderr.

    Raises:
        ValueError: Two dumps get the same name (pass ``--labels``).
    """
    labels = []
    for path in paths:
        config = recorded_config(path)
        if config is None:
            print(f'{path} records no config (a dump written before tools/test.py --out recorded it): labelled by '
                  'its file name; --labels names the methods.', file=sys.stderr)
            labels.append(osp.splitext(osp.basename(path))[0])
        else:
            labels.append(osp.splitext(osp.basename(config))[0])
    for label in sorted(set(labels)):
        same = [path for path, other in zip(paths, labels) if other == label]
        if len(same) > 1:
            raise ValueError(f'The dumps {same} would all be labelled {label!r} (the same config): pass --labels '
                             'with a name per dump, e.g. the split or the checkpoint.')
    return labels


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


def curve_styles(num_dumps: int, num_scores: int) -> List[Tuple[str, str]]:
    """``(colour, line style)`` of every curve, in the order of :func:`curve_names` (dump-major).

    One dump or one score: a colour per curve (:data:`OKABE_ITO`, solid lines). Several of both: a colour per dump and
    a line style per score. Past the eight colours the colours repeat with the next line style.
    """
    styles = []
    for dump in range(num_dumps):
        for score in range(num_scores):
            if num_dumps > 1 and num_scores > 1:
                colour, style = dump, score
            else:
                colour, style = dump * num_scores + score, 0
            styles.append((OKABE_ITO[colour % len(OKABE_ITO)],
                           LINE_STYLES[(style + colour // len(OKABE_ITO)) % len(LINE_STYLES)]))
    return styles


def draw_curves(dumps: List[Dump],
                names: List[str],
                styles: List[Tuple[str, str]],
                figure: FigureStyle = FigureStyle(),
                log_x: bool = False,
                unknown_set: Optional[str] = None,
                legend_title: Optional[str] = None) -> Tuple[plt.Figure, plt.Figure]:
    """The ROC and the OSCR figure of the dumps (open: :func:`plot_curves` saves and closes them).

    Args:
        dumps (list[Dump]): Loaded dumps (one per dump and score).
        names (list[str]): Legend name of each.
        styles (list[tuple[str, str]]): Colour and line style of each (:func:`curve_styles`).
        figure (FigureStyle): Title, font size and figure size.
        log_x (bool): Log-scale FPR axis in the OSCR plot (the (0, 0) start point is then not drawn).
        unknown_set (str, optional): The unknown set the dumps were restricted to: named under the titles.
        legend_title (str, optional): Title of the legends, e.g. the method when the curves are its scores.

    Returns:
        tuple[Figure, Figure]: The ROC and the OSCR figure.
    """
    with plt.rc_context({'font.size': figure.font_size}):
        fig_roc, ax_roc = plt.subplots(figsize=figure.fig_size)
        fig_oscr, ax_oscr = plt.subplots(figsize=figure.fig_size)
        for dump, name, (colour, line_style) in zip(dumps, names, styles):
            line = dict(color=colour, linestyle=line_style, linewidth=1.5)
            fpr, tpr = roc_curve(dump.known_scores, dump.unknown_scores)
            value = 100 * auroc(dump.known_scores, dump.unknown_scores)
            ax_roc.plot(fpr, tpr, label=f'{name} (AUROC {value:.2f})', **line)
            fpr, ccr = oscr_curve(dump.known_scores, dump.known_correct, dump.unknown_scores)
            value = 100 * oscr(dump.known_scores, dump.known_correct, dump.unknown_scores)
            ax_oscr.plot(fpr, ccr, label=f'{name} (OSCR {value:.2f})', **line)
        ax_roc.plot([0, 1], [0, 1], color='grey', linestyle=':', linewidth=1)
        of_set = '' if unknown_set is None else (f'unknown set {unknown_set!r}: {len(dumps[0].unknown_scores)} '
                                                 f'unknown, {len(dumps[0].known_scores)} known samples')
        for ax, key, ylabel in ((ax_roc, 'roc', 'TPR (known accepted)'),
                                (ax_oscr, 'oscr', 'CCR (known accepted and correct)')):
            title = DEFAULT_TITLES[key] if figure.title is None else figure.title
            _style(ax, '\n'.join(part for part in (title, of_set) if part), 'FPR (unknown accepted)', ylabel,
                   figure.font_size, legend_title)
        ax_roc.set_xlim(0, 1)
        if log_x:  # the smallest non-zero FPR any dump can reach is 1 / (its number of unknown samples)
            ax_oscr.set_xscale('log')
            ax_oscr.set_xlim(min(1 / len(dump.unknown_scores) for dump in dumps), 1)
        else:
            ax_oscr.set_xlim(0, 1)
        for fig in (fig_roc, fig_oscr):
            fig.tight_layout()
    return fig_roc, fig_oscr


def plot_curves(dumps: List[Dump],
                names: List[str],
                out_dir: str,
                log_x: bool = False,
                unknown_set: Optional[str] = None,
                styles: Optional[List[Tuple[str, str]]] = None,
                figure: FigureStyle = FigureStyle(),
                legend_title: Optional[str] = None) -> List[str]:
    """Draw the ROC and OSCR curves of all dumps into ``out_dir/roc.<format>`` and ``out_dir/oscr.<format>``.

    Args:
        dumps (list[Dump]): Loaded dumps (one per dump and score).
        names (list[str]): Legend name of each.
        out_dir (str): Output folder (created if missing).
        log_x (bool): Log-scale FPR axis in the OSCR plot.
        unknown_set (str, optional): The unknown set the dumps were restricted to: named in the titles, and the
            files are ``roc_<set>.<format>`` and ``oscr_<set>.<format>``.
        styles (list[tuple[str, str]], optional): Colour and line style of each curve. Defaults to a colour per curve.
        figure (FigureStyle): File type, title, font size and figure size.
        legend_title (str, optional): Title of the legends.

    Returns:
        list[str]: Paths of the two written figures.
    """
    os.makedirs(out_dir, exist_ok=True)
    styles = styles or curve_styles(len(dumps), 1)
    figures = draw_curves(dumps, names, styles, figure, log_x, unknown_set, legend_title)
    suffix = '' if unknown_set is None else f'_{unknown_set}'
    paths = [osp.join(out_dir, f'{kind}{suffix}.{figure.format}') for kind in ('roc', 'oscr')]
    # Text stays text: TrueType (Type 42) fonts in PDF, which publishers ask for instead of Type 3; <text> in SVG.
    with plt.rc_context({'pdf.fonttype': 42, 'svg.fonttype': 'none'}):
        for fig, path in zip(figures, paths):
            fig.savefig(path, format=figure.format, dpi=PNG_DPI)
            plt.close(fig)
    return paths


def _style(ax, title: str, xlabel: str, ylabel: str, font_size: float, legend_title: Optional[str]) -> None:
    if title:
        ax.set_title(title, fontsize=font_size)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=0.85 * font_size)
    ax.legend(loc='lower right', fontsize=0.85 * font_size, title=legend_title, title_fontsize=0.85 * font_size)


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
    dump_names = args.labels or dump_labels(args.dumps)
    names = curve_names(dump_names, args.scores)
    drawing = dict(styles=curve_styles(len(args.dumps), len(args.scores)),
                   figure=FigureStyle(args.format, args.title, args.font_size, args.fig_size),
                   # The curves of one dump are named by their scores: the legend's title names the method.
                   legend_title=dump_names[0] if len(args.dumps) == 1 and len(args.scores) > 1 else None)
    unknown_sets = common_unknown_sets(args.dumps)
    if unknown_sets is None:
        dumps = [load_dump(path, score) for path in args.dumps for score in args.scores]
        paths = plot_curves(dumps, names, args.out_dir, args.log_x, **drawing)
    else:
        paths = []
        for unknown_set in unknown_sets:
            dumps = [load_dump(path, score, unknown_set) for path in args.dumps for score in args.scores]
            paths += plot_curves(dumps, names, args.out_dir, args.log_x, unknown_set=unknown_set, **drawing)
    for path in paths:
        print(f'Saved {path}')
    return paths


if __name__ == '__main__':
    run_tool(main)
