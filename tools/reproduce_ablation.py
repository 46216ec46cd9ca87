"""Reproduce the ablation of the asymmetric distillation paper (Table 6) in one command.

    python tools/reproduce_ablation.py configs/asym/r18_digits.py [--seeds 0 1 2] [--variants] [--learned-masks]
        [--jobs N] [--work-dir DIR]

The config names its teacher config (`teacher_config`) and the paper's rows (`ablation_rows`: a name, a config path
relative to the config file that sets the rows, and the id of the paper row in `openmixosr.paper_results`).
`ablation_variant_rows` lists rows of ours that vary a paper row (e.g. mixup CE on the mixed samples); they run only
with `--variants`. `ablation_learned_mask_rows` replaces CutMix in the full method by learned masks (AutoMix's Mix
Block, AMix's Mix Block+, trained through the teacher); they run after the paper's rows with `--learned-masks`. The
tool trains the teacher once (seed 0) and every row for every seed, giving the distillation rows the teacher's
checkpoint, and prints one table of closed-set accuracy, AUROC and OSCR (mean and standard deviation over the seeds,
ddof=0, in %) with the paper's published numbers beside them. Each run's log is in its work dir.

The runs go through the queue of :mod:`openmixosr.utils.run_queue`: `--jobs N` runs N trainings at once, each with
``cores // N`` threads (the teacher and the rows without a teacher first, the distillation rows once the teacher is
done). By default a CPU-only machine runs one single-thread training per core (at most 4): on a small CPU,
single-thread runs side by side finish sooner than multi-thread runs one after another (the README gives the measured
times). Float sums depend on the thread count, so rows trained with another ``--jobs`` differ (within their noise);
each setting repeats exactly. A finished run leaves ``metrics.json`` in its work dir (its identity, metrics and
provenance; docs/benchmark_table.md, "Run identity") and is not run again, so a command interrupted half-way
continues where it stopped; a row whose teacher was trained again is trained again; a run of other code is tabled
with the mark ``‡`` (``--rerun-other-code`` trains it again). A second command on the same work dir waits for the
first.
A failed run is reported with its log, left out of the table (a row then says how many of its runs it has), and
makes the tool exit non-zero once the other runs are done; when no run finished, no table is written.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.utils import ProgressBar

from openmixosr.paper_results import row_by_id
from openmixosr.utils.config import resolve_config
from openmixosr.utils.file_lock import exclusive_lock
from openmixosr.utils.result_tables import format_seed_table
from openmixosr.utils.run_queue import (LocalLauncher, Run, config_reference, default_local_jobs, failure_report,
                                        queue_order, recipe_world_size, run_queue, threads_per_job)

TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a teacher and every ablation row; print one table')
    parser.add_argument('config', help='distillation config with `teacher_config` and `ablation_rows`')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1],
                        help='seeds of the rows, each once (default: 0 1)')
    parser.add_argument('--variants', action='store_true',
                        help='also run `ablation_variant_rows` (ours, not the paper\'s rows)')
    parser.add_argument('--learned-masks', action='store_true',
                        help='also run `ablation_learned_mask_rows` (the full method with learned masks, ours)')
    parser.add_argument('--jobs', type=int,
                        help='trainings at once, each with cores // jobs threads (default: one single-thread run per '
                        'core, at most 4, on a CPU-only machine; 1 with a GPU)')
    parser.add_argument('--work-dir', help='root of all work dirs (default: work_dirs/ablation_CONFIG_NAME)')
    parser.add_argument('--rerun-other-code', action='store_true',
                        help='train again the finished runs of other code (package sources or library versions); by '
                        'default they are tabled with the mark ‡')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='options passed to every run, e.g. `train_cfg.max_epochs=5` for a shorter smoke run')
    args = parser.parse_args(argv)
    args.config = resolve_config(args.config)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds {" ".join(map(str, args.seeds))}: a seed is given twice (the same run would count '
                     'twice in a mean and a std)')
    return args


def paper_numbers(row_id) -> dict:
    """The published numbers of a paper row (``{}`` for rows of ours)."""
    return dict(row_by_id(row_id).results) if row_id else {}


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if 'teacher_config' not in cfg or 'ablation_rows' not in cfg:
        raise KeyError(f'{args.config} must define `teacher_config` and `ablation_rows` '
                       '(see configs/asym/r18_digits.py)')
    # paths relative to the file that sets them (a config may inherit the rows from another directory)
    resolve = lambda key, path: config_reference(args.config, key, path)  # noqa: E731
    work_root = args.work_dir or osp.join('work_dirs', 'ablation_' + osp.splitext(osp.basename(args.config))[0])
    rows = [(name, resolve('ablation_rows', path), paper_id) for name, path, paper_id in cfg.ablation_rows]
    if args.variants:
        rows += [(name, resolve('ablation_variant_rows', path), None)
                 for name, path in cfg.get('ablation_variant_rows', [])]
    if args.learned_masks:
        rows += [(name, resolve('ablation_learned_mask_rows', path), None)
                 for name, path in cfg.get('ablation_learned_mask_rows', [])]

    teacher_config = resolve('teacher_config', cfg.teacher_config)
    teacher = Run(teacher_config, osp.join(work_root, 'teacher'), 0, args.cfg_options, name='teacher',
                  world_size=recipe_world_size(Config.fromfile(teacher_config)))
    runs = [('teacher', teacher)]
    for name, config, _ in rows:
        distills = Config.fromfile(config).model.type == 'AsymmetricDistiller'
        slug = ''.join(c if c.isalnum() else '_' for c in name).strip('_')
        runs += [(name, Run(config, osp.join(work_root, slug, f'seed{seed}'), seed, args.cfg_options,
                            teacher if distills else None, name=f'{name}, seed {seed}',
                            world_size=recipe_world_size(Config.fromfile(config)))) for seed in args.seeds]
    # The teacher first, then the rows without a teacher, then the distillation rows as the teacher is done.
    jobs = args.jobs or default_local_jobs()
    launcher = LocalLauncher(TRAIN, threads_per_job(jobs))
    with exclusive_lock(osp.join(work_root, '.table.lock'), f'The work dir {work_root}'):
        progress = ProgressBar(len(queue_order([run for _, run in runs])), file=sys.stderr)
        notify = lambda text: print(f'\n{text}', file=sys.stderr, flush=True)  # noqa: E731
        outcomes = {outcome.run.key: outcome for outcome in run_queue(
            [run for _, run in runs], launcher, jobs, on_outcome=lambda outcome: progress.update(),
            rerun_other_code=args.rerun_other_code, notify=notify)}
        finished = {}
        for name, run in runs:
            if outcomes[run.key].ok:  # a failed run is reported below, never averaged into the table
                finished.setdefault(name, []).append(outcomes[run.key])
        report = failure_report(list(outcomes.values()))
        if not finished:
            sys.exit((report + '\n' if report else '') + 'No run finished: no table written.')
        expected = {'teacher': 1, **{name: len(args.seeds) for name, _, _ in rows}}
        papers = {name: paper_numbers(paper_id) for name, _, paper_id in rows}
        labels = {name: name if len(done) == expected[name] else f'{name} ({len(done)} of {expected[name]} runs)'
                  for name, done in finished.items()}
        table = format_seed_table(
            {labels[name]: [outcome.metrics for outcome in done] for name, done in finished.items()},
            f'Ablation (mean ± std over seeds {list(args.seeds)}; teacher: seed 0; values in %; paper: asymmetric '
            'distillation Table 6, Tiny-ImageNet)', {labels[name]: papers.get(name, {}) for name in finished},
            other_code={labels[name]: [outcome.other_code for outcome in done] for name, done in finished.items()})
        print('\n' + table)
        with open(osp.join(work_root, 'ablation.txt'), 'w') as file:
            file.write(table + '\n')
    if report:
        sys.exit(report)


if __name__ == '__main__':
    main()
