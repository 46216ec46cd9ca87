"""Time our AUROC and OSCR against sklearn's ``roc_auc_score`` on 1M known + 1M unknown tied scores.

Usage::

    python tools/benchmark/metrics.py [--n 1000000] [--repeats 5] [--decimals 3]

The three functions run interleaved in the same process (one call of each per round) and the table shows the median
of the rounds. Goals: OSCR at most 2x sklearn's AUROC time; our AUROC equal to sklearn's to 1e-12.
"""
import argparse

import numpy as np
from sklearn.metrics import roc_auc_score

from openmixosr.evaluation.functional import auroc, oscr
from openmixosr.utils.benchmarking import time_interleaved
from openmixosr.utils.tool_errors import run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Benchmark open-set metrics against sklearn.')
    parser.add_argument('--n', type=int, default=1_000_000, help='number of known and of unknown scores')
    parser.add_argument('--repeats', type=int, default=5, help='interleaved rounds; the median is reported')
    parser.add_argument('--decimals', type=int, default=3, help='scores are rounded to this many decimals (ties)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    known = np.round(rng.normal(1.0, 1.0, args.n), args.decimals)
    unknown = np.round(rng.normal(0.0, 1.0, args.n), args.decimals)
    correct = rng.random(args.n) < 0.8
    y_true = np.r_[np.ones(args.n, dtype=np.int64), np.zeros(args.n, dtype=np.int64)]
    pooled = np.r_[known, unknown]
    print(f'{args.n} known + {args.n} unknown scores, {len(np.unique(pooled))} distinct values, '
          f'median of {args.repeats} interleaved rounds')

    times = time_interleaved(
        {
            'sklearn roc_auc_score': lambda: roc_auc_score(y_true, pooled),
            'ours auroc': lambda: auroc(known, unknown),
            'ours oscr': lambda: oscr(known, correct, unknown),
        }, args.repeats)
    results = {name: dict(seconds=seconds, value=times.results[name]) for name, seconds in times.medians().items()}
    reference = results['sklearn roc_auc_score']
    print(f'{"function":<24} {"time [ms]":>10} {"/ sklearn":>10} {"value":>20}')
    for name, result in results.items():
        print(f'{name:<24} {1e3 * result["seconds"]:10.1f} {result["seconds"] / reference["seconds"]:10.3f} '
              f'{result["value"]:20.16f}')
    difference = abs(results['ours auroc']['value'] - reference['value'])
    oscr_ratio = results['ours oscr']['seconds'] / reference['seconds']
    auroc_ratio = results['ours auroc']['seconds'] / reference['seconds']
    print(f'oscr / sklearn_auroc = {oscr_ratio:.3f} (goal <= 2: {"met" if oscr_ratio <= 2 else "MISSED"})')
    print(f'ours_auroc / sklearn_auroc = {auroc_ratio:.3f}')
    print(f'|ours - sklearn| AUROC = {difference:.3e} (goal <= 1e-12: {"met" if difference <= 1e-12 else "MISSED"})')


if __name__ == '__main__':
    run_tool(main)
