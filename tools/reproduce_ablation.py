"""Reproduce the ablation of the asymmetric distillation paper (Table 6) in one command.

    python tools/reproduce_ablation.py configs/experiments/asym_ablation_digits.py [--seeds 0 1 2] [--variants]
        [--learned-masks] [--jobs N] [--work-dir DIR] [--rerun-other-code]

The experiment manifest (:mod:`openmixosr.utils.experiments`) names the teacher config (``teacher``) and the paper's
rows (``rows``: a name, a config, the id of the paper row in :mod:`openmixosr.paper_results`). ``variant_rows`` are
rows of ours that vary a paper row (e.g. mixup CE on the mixed samples); they run only with ``--variants``.
``learned_mask_rows`` replace CutMix in the full method by learned masks (AutoMix's Mix Block, AMix's Mix Block+,
trained through the teacher); they run after the paper's rows with ``--learned-masks``. The tool trains the teacher
once (seed 0) and every row for every seed, giving the distillation rows the teacher's checkpoint, and prints one table
of closed-set accuracy, AUROC and OSCR (mean and standard deviation over the seeds, ddof=0, in %) with the paper's
published numbers beside them. Each run's log is in its work dir (``WORK_DIR/<row name>/seed<S>``, the name in lower
case with ``_`` between its words).

The runs go through the queue of :mod:`openmixosr.utils.run_queue`: `--jobs N` runs N trainings at once, each with
``cores // N`` threads (the teacher and the rows without a teacher first, the distillation rows once the teacher is
done). By default a CPU-only machine runs one single-thread training per core (at most 4): on a small CPU,
single-thread runs side by side finish sooner than multi-thread runs one after another (docs/benchmark_table.md gives
the measured times). Float sums depend on the thread count, so rows trained with another ``--jobs`` differ (within
their noise); each setting repeats exactly. A finished run leaves ``metrics.json`` in its work dir (its identity,
metrics and provenance; docs/benchmark_table.md, "Run identity") and is not run again, so a command interrupted
half-way continues where it stopped; a row whose teacher was trained again is trained again; a run of other code is
tabled with the mark ``‡`` (``--rerun-other-code`` trains it again). A second command on the same work dir waits for
the first.
A failed run is reported with its log, left out of the table (a row then says how many of its runs it has), and
makes the tool exit non-zero once the other runs are done; when no run finished, no table is written.
"""
import argparse
import os.path as osp
import re
import sys

from mmengine.config import Config
from mmengine.utils import ProgressBar

from openmixosr.models.contracts import distills_from_teacher
from openmixosr.paper_results import row_by_id
from openmixosr.utils.experiments import load_ablation
from openmixosr.utils.file_lock import exclusive_lock
from openmixosr.utils.result_tables import format_seed_table
from openmixosr.utils.run_queue import (LocalLauncher, Run, default_local_jobs, failure_report, queue_order,
                                        recipe_world_size, run_queue, threads_per_job)
from openmixosr.utils.tool_errors import run_tool

TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Train a teacher and every ablation row; print one table')
    parser.add_argument('config', help='experiment manifest (configs/experiments/asym_ablation_*.py): the teacher and '
                        'the rows')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1],
                        help='seeds of the rows, each once (default: 0 1)')
    parser.add_argument('--variants', action='store_true',
                        help='also run the manifest\'s `variant_rows` (ours, not the paper\'s rows)')
    parser.add_argument('--learned-masks', action='store_true',
                        help='also run the manifest\'s `learned_mask_rows` (the full method with learned masks, ours)')
    parser.add_argument('--jobs', type=int,
                        help='trainings at once, each with cores // jobs threads (default: one single-thread run per '
                        'core, at most 4, on a CPU-only machine; 1 with a GPU)')
    parser.add_argument('--work-dir', help='root of all work dirs (default: work_dirs/MANIFEST_NAME)')
    parser.add_argument('--rerun-other-code', action='store_true',
                        help='train again the finished runs of other code (package sources or library versions); by '
                        'default they are tabled with the mark ‡')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='options passed to every run, e.g. `train_cfg.max_epochs=5` for a shorter smoke run')
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds {" ".join(map(str, args.seeds))}: a seed is given twice (the same run would count '
                     'twice in a mean and a std)')
    return args


def paper_numbers(row_id) -> dict:
    """The published numbers of a paper row (``{}`` for rows of ours)."""
    return dict(row_by_id(row_id).results) if row_id else {}


def work_dir_name(name: str) -> str:
    """A row's work dir: its name in lower case, its words joined by ``_`` (``'(c) + CMI'`` -> ``'c_cmi'``)."""
    return '_'.join(re.findall(r'[a-z0-9]+', name.lower())) or 'row'


def main(argv=None):
    args = parse_args(argv)
    ablation = load_ablation(args.config)
    work_root = args.work_dir or osp.join('work_dirs', osp.splitext(osp.basename(ablation.path))[0])
    rows = list(ablation.rows) + list(ablation.variant_rows if args.variants else ()) + list(
        ablation.learned_mask_rows if args.learned_masks else ())
    teacher = Run(ablation.teacher, osp.join(work_root, 'teacher'), 0, args.cfg_options, name='teacher',
                  world_size=recipe_world_size(Config.fromfile(ablation.teacher)))
    runs = [('teacher', teacher)]
    for row in rows:
        cfg = Config.fromfile(row.config)
        distills = distills_from_teacher(cfg.model)
        runs += [(row.name, Run(row.config, osp.join(work_root, work_dir_name(row.name), f'seed{seed}'), seed,
                                args.cfg_options, teacher if distills else None, name=f'{row.name}, seed {seed}',
                                world_size=recipe_world_size(cfg))) for seed in args.seeds]
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
        expected = {'teacher': 1, **{row.name: len(args.seeds) for row in rows}}
        papers = {row.name: paper_numbers(row.paper_row) for row in rows}
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
    run_tool(main)
