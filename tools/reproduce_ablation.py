"""Reproduce the ablation of the asymmetric distillation paper (Table 6) in one command.

    python tools/reproduce_ablation.py configs/asym/r18_digits.py [--seeds 0 1 2] [--variants] [--learned-masks]
        [--jobs N] [--work-dir DIR]

The config names its teacher config (`teacher_config`) and the paper's rows (`ablation_rows`: a name, a config path
relative to the config, and the id of the paper row in `openmixosr.paper_results`). `ablation_variant_rows` lists
rows of ours that vary a paper row (e.g. mixup CE on the mixed samples); they run only with `--variants`.
`ablation_learned_mask_rows` replaces CutMix in the full method by learned masks (AutoMix's Mix Block, AMix's Mix
Block+, trained through the teacher); they run after the paper's rows with `--learned-masks`. The tool
trains the teacher once (seed 0), then every row for every seed, giving the distillation rows the teacher's
checkpoint, and prints one table of closed-set accuracy, AUROC and OSCR (mean and standard deviation over the seeds,
in %) with the paper's published numbers beside them. Each run's log is in its work dir.

`--jobs N` runs N trainings at once (the teacher first, alone), each with ``cores // N`` threads: on a small CPU,
single-thread runs side by side finish sooner than multi-thread runs one after another (the README gives the
measured times). Float sums depend on the thread count, so rows trained with ``--jobs 2``
differ (within their noise) from rows trained one at a time; each repeats exactly with its own. A finished run leaves
``metrics.json`` in its work dir and is not run again, so a command interrupted half-way continues where it stopped.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from glob import glob
from typing import Optional

import numpy as np
from mmengine.config import Config
from mmengine.utils import ProgressBar

from openmixosr.paper_results import row_by_id

METRICS = (('accuracy', 'osr/accuracy'), ('AUROC', 'osr/auroc'), ('OSCR', 'osr/oscr'))
PAPER_METRICS = (('paper acc.', 'accuracy'), ('paper AUROC', 'auroc'), ('paper OSCR', 'oscr'))
TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a teacher and every ablation row; print one table')
    parser.add_argument('config', help='distillation config with `teacher_config` and `ablation_rows`')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1], help='seeds of the rows (default: 0 1)')
    parser.add_argument('--variants', action='store_true',
                        help='also run `ablation_variant_rows` (ours, not the paper\'s rows)')
    parser.add_argument('--learned-masks', action='store_true',
                        help='also run `ablation_learned_mask_rows` (the full method with learned masks, ours)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='trainings at once, each with cores // jobs threads (default: 1)')
    parser.add_argument('--work-dir', help='root of all work dirs (default: work_dirs/ablation_CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='options passed to every run, e.g. `train_cfg.max_epochs=5` for a shorter smoke run')
    return parser.parse_args(argv)


def last_metrics(work_dir: str) -> dict:
    """The last validation metrics a run logged (MMEngine's ``vis_data/scalars.json``)."""
    metrics = None
    for path in sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as file:
            for line in file:
                record = json.loads(line)
                if METRICS[0][1] in record:
                    metrics = record
    if metrics is None:
        raise RuntimeError(f'No validation metrics found under {work_dir}; see the log there.')
    return metrics


def run_training(config: str, work_dir: str, seed: int, options=(), threads: Optional[int] = None) -> None:
    """Run ``tools/train.py`` in a fresh process (log in ``work_dir/train.log``), with ``threads`` torch threads
    (``OMP_NUM_THREADS``) when given."""
    os.makedirs(work_dir, exist_ok=True)
    command = [sys.executable, TRAIN, config, '--work-dir', work_dir, '--cfg-options', f'randomness.seed={seed}',
               *options]
    env = dict(os.environ, **({'OMP_NUM_THREADS': str(threads)} if threads else {}))
    with open(osp.join(work_dir, 'train.log'), 'w') as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        raise RuntimeError(f'Training failed ({" ".join(command)}); see {work_dir}/train.log')


FINISHED = 'metrics.json'


def train(config: str, work_dir: str, seed: int, options=(), threads: Optional[int] = None) -> dict:
    """:func:`run_training`, then the last validation metrics of the run, kept in ``work_dir/metrics.json`` with the
    run's settings; a run that has that file already is not run again (and a finished run of other settings in the
    same work dir is an error, not a result)."""
    finished = osp.join(work_dir, FINISHED)
    settings = dict(config=osp.abspath(config), seed=seed, options=list(options))
    if osp.isfile(finished):
        with open(finished) as file:
            record = json.load(file)
        if record['settings'] != settings:
            raise RuntimeError(f'{work_dir} holds a finished run of other settings ({record["settings"]}, now '
                               f'{settings}): pass another --work-dir, or delete that run to train it again.')
        return record['metrics']
    run_training(config, work_dir, seed, options, threads)
    metrics = last_metrics(work_dir)
    with open(finished, 'w') as file:
        json.dump(dict(settings=settings, metrics=metrics), file)
    return metrics


def threads_per_job(jobs: int) -> Optional[int]:
    """``cores // jobs`` (at least 1) when several runs share the CPU; None (torch's default) for one run."""
    if jobs < 1:
        raise ValueError(f'--jobs must be >= 1, got {jobs}')
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def last_checkpoint(work_dir: str) -> str:
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def paper_numbers(row_id) -> dict:
    """The published numbers of a paper row (``{}`` for rows of ours)."""
    return dict(row_by_id(row_id).results) if row_id else {}


def format_table(results: dict, seeds, title: str, paper: dict = None) -> str:
    """One row per method: mean +- std over the seeds of each metric (in %), then the paper's numbers if given.

    Args:
        results (dict): Method -> list of metric records (one per seed).
        seeds (list[int]): The seeds (for the title only).
        title (str): First line.
        paper (dict, optional): Method -> the paper's published numbers (``accuracy``, ``auroc``, ``oscr``); a paper
            column is shown when any method has that number.
    """
    paper = paper or {}
    paper_columns = [(name, key) for name, key in PAPER_METRICS if any(key in numbers for numbers in paper.values())]
    header = ['method'] + [name for name, _ in METRICS] + [name for name, _ in paper_columns]
    rows = []
    for method, runs in results.items():
        cells = [method]
        for _, key in METRICS:
            values = np.array([run[key] for run in runs])
            cells.append(f'{values.mean():.2f} ± {values.std():.2f}' if len(values) > 1 else f'{values[0]:.2f}')
        numbers = paper.get(method, {})
        cells += [f'{numbers[key]:.2f}' if key in numbers else '' for _, key in paper_columns]
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    line = lambda cells: ' | '.join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([title, line(header), rule] + [line(row) for row in rows])


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if 'teacher_config' not in cfg or 'ablation_rows' not in cfg:
        raise KeyError(f'{args.config} must define `teacher_config` and `ablation_rows` (see configs/asym/r18_digits.py)')
    config_dir = osp.dirname(osp.abspath(args.config))
    resolve = lambda path: osp.normpath(osp.join(config_dir, path))  # noqa: E731
    work_root = args.work_dir or osp.join('work_dirs', 'ablation_' + osp.splitext(osp.basename(args.config))[0])
    rows = [(name, resolve(path), paper_id) for name, path, paper_id in cfg.ablation_rows]
    if args.variants:
        rows += [(name, resolve(path), None) for name, path in cfg.get('ablation_variant_rows', [])]
    if args.learned_masks:
        rows += [(name, resolve(path), None) for name, path in cfg.get('ablation_learned_mask_rows', [])]

    threads = threads_per_job(args.jobs)
    progress = ProgressBar(1 + len(rows) * len(args.seeds))
    teacher_dir = osp.join(work_root, 'teacher')
    results = {'teacher': [train(resolve(cfg.teacher_config), teacher_dir, seed=0, options=args.cfg_options)]}
    checkpoint = last_checkpoint(teacher_dir)
    progress.update()
    paper = {name: paper_numbers(paper_id) for name, _, paper_id in rows}
    runs = []
    for name, config, _ in rows:
        distills = Config.fromfile(config).model.type == 'AsymmetricDistiller'
        options = [*args.cfg_options, *([f'model.teacher_checkpoint={checkpoint}'] if distills else [])]
        slug = ''.join(c if c.isalnum() else '_' for c in name).strip('_')
        runs += [(name, seed, (config, osp.join(work_root, slug, f'seed{seed}'), seed, options, threads))
                 for seed in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        futures = [(name, pool.submit(train, *arguments)) for name, _, arguments in runs]
        for name, future in futures:
            results.setdefault(name, []).append(future.result())
            progress.update()
    table = format_table(results, args.seeds,
                         f'Ablation (mean ± std over seeds {list(args.seeds)}; teacher: seed 0; values in %; '
                         f'paper: asymmetric distillation Table 6, Tiny-ImageNet)', paper)
    print('\n' + table)
    with open(osp.join(work_root, 'ablation.txt'), 'w') as file:
        file.write(table + '\n')


if __name__ == '__main__':
    main()
