"""Predict the known class, open-set scores and a known / unknown decision of images (``OpenSetInferencer``).

    python tools/infer.py CONFIG CHECKPOINT IMAGES... [--scores mls knn | all] [--threshold-tpr 0.95]
        [--out predictions.csv]
    openmixosr infer CONFIG CHECKPOINT IMAGES... [OPTIONS]

IMAGES are image files and folders (their image files, sorted by name). The CSV has one row per image: ``path``,
``pred_class``, ``pred_label``, one column per score (higher = more known) and ``decision`` (``known`` when the first
score reaches its threshold, the one that keeps ``--threshold-tpr`` of the known validation samples; docs/metrics.md).
A short table goes to stdout.
"""
import argparse
import csv
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction

from openmixosr.apis import OpenSetInferencer
from openmixosr.evaluation.scores import score_configs
from openmixosr.utils.tool_errors import run_tool

#: Rows of the table printed when the CSV holds them all.
SHOWN_ROWS = 20


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict the known class, the open-set scores and known / unknown of images.')
    parser.add_argument('config', help='config file, or openmixosr::NAME for a config shipped with the package')
    parser.add_argument('checkpoint', help='checkpoint file of that config')
    parser.add_argument('images', nargs='+', metavar='IMAGE',
                        help='image files or folders (the image files directly inside, sorted by name)')
    parser.add_argument('--scores', nargs='+', default=['mls', 'msp', 'energy'], metavar='SCORE',
                        help=f'open-set scores, or `all`; the first decides known / unknown. Choices: '
                        f'{", ".join(score_configs())}. Scores fitted on the training set load their statistics '
                        'from the cache tools/test.py writes next to the checkpoint, or fit and write it (default: '
                        'mls msp energy)')
    parser.add_argument('--threshold-tpr', type=float, default=0.95,
                        help='each score\'s threshold keeps this fraction of the known validation samples, in (0, 1] '
                        '(default: %(default)s)')
    parser.add_argument('--out', help='CSV file of the predictions, one row per image (default: none, every row '
                        'printed)')
    parser.add_argument('--batch-size', type=int, help='images per forward pass (default: the test dataloader\'s)')
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ... (default: cuda when available, else cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. `split=3`, `load_cfg.allow_other_classes=True`')
    args = parser.parse_args(argv)
    if 'all' in args.scores:
        if len(args.scores) > 1:
            parser.error(f'--scores all stands alone, got {args.scores}')
        args.scores = list(score_configs())
    if args.out is not None and not args.out.endswith('.csv'):
        parser.error(f'--out must name a .csv file, got {args.out!r}')
    return args


def write_csv(path: str, results: List[dict], score_names: List[str]) -> None:
    """One row per image: path, pred_class, pred_label, the scores (exact: ``repr`` of the float), decision."""
    with open(path, 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(['path', 'pred_class', 'pred_label', *score_names, 'decision'])
        for result in results:
            writer.writerow([result['input'], result['pred_class'], result['pred_label'],
                             *(repr(result['scores'][name]) for name in score_names), decision_text(result)])


def decision_text(result: dict) -> str:
    return '' if result['known'] is None else ('known' if result['known'] else 'unknown')


def format_table(results: List[dict], score_names: List[str], max_rows: Optional[int] = None) -> str:
    """A plain-text table of the first ``max_rows`` results (all when None): path, class, scores, decision."""
    shown = results if max_rows is None else results[:max_rows]
    rows = [[result['input'], result['pred_class'], *(f'{result["scores"][name]:.4f}' for name in score_names),
             decision_text(result)] for result in shown]
    header = ['path', 'class', *score_names, 'decision']
    widths = [max(len(header[column]), *(len(row[column]) for row in rows)) for column in range(len(header))]
    lines = ['  '.join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in [header, *rows]]
    if len(shown) < len(results):
        lines.append(f'... and {len(results) - len(shown)} more')
    return '\n'.join(lines)


def summary(inferencer: OpenSetInferencer, results: List[dict]) -> str:
    if not inferencer.thresholds:
        return f'{len(results)} images'
    known = sum(result['known'] for result in results)
    decision = inferencer.score_names[0]
    return (f'{len(results)} images: {known} known, {len(results) - known} unknown ({decision} >= '
            f'{inferencer.thresholds[decision]:.6g}, the threshold keeping {100 * inferencer.threshold_tpr:g} % of '
            'the known validation samples)')


def main(argv: Optional[List[str]] = None) -> List[dict]:
    args = parse_args(argv)
    if args.out is not None and not osp.isdir(osp.dirname(osp.abspath(args.out))):
        raise FileNotFoundError(f'The folder of --out does not exist: {osp.dirname(osp.abspath(args.out))}')
    inferencer = OpenSetInferencer(args.config, args.checkpoint, scores=args.scores,
                                   threshold_tpr=args.threshold_tpr, device=args.device, cfg_options=args.cfg_options,
                                   batch_size=args.batch_size)
    results = inferencer(args.images)
    print(format_table(results, inferencer.score_names, None if args.out is None else SHOWN_ROWS))
    print(summary(inferencer, results))
    if args.out is not None:
        write_csv(args.out, results, inferencer.score_names)
        print(f'Saved {len(results)} predictions to {args.out}')
    return results


if __name__ == '__main__':
    run_tool(main)
