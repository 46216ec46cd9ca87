"""Pre-train several self-supervised configs, linear-evaluate each, print one table.

    python tools/linear_eval_table.py configs/selfsup/linear_eval/linear_r18w16_digits.py \\
        --pretrain configs/selfsup/mocov2_r18w16_digits.py configs/selfsup/amix_i_r18w16_digits.py \\
        [--seeds 0 1] [--jobs N] [--work-dir DIR] [--cfg-options ...] [--linear-cfg-options ...]

Every pre-training config runs for every seed (``tools/train.py``, its own process and work dir
``WORK_DIR/<config stem>/seed<S>``); the linear evaluation config then trains a linear head on the frozen backbone of
its last checkpoint (same seed, ``pretrained=CHECKPOINT``, work dir ``.../seed<S>/linear``) and the tool prints
closed-set top-1, AUROC and OSCR of the linear classifier (mean and std over the seeds, in %). The linear config must
use the open-set evaluator (e.g. ``linear_r18w16_digits.py``).

The runs go through the run queue of :mod:`openmixosr.utils.run_queue`, as in ``tools/benchmark_table.py``: ``--jobs``
runs at once, finished runs (``metrics.json``: identity, metrics, provenance) are not run again, a linear evaluation
whose pre-training was trained again is trained again, other settings in a work dir are refused before anything
trains, a run of other code is tabled with the mark ``‡`` (``--rerun-other-code`` trains it again), a failed run is
reported and makes the tool exit non-zero.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.utils import ProgressBar

from openmixosr.utils.config import resolve_config
from openmixosr.utils.file_lock import exclusive_lock
from openmixosr.utils.result_tables import format_seed_table
from openmixosr.utils.run_queue import (LocalLauncher, Run, default_local_jobs, failure_report, queue_order,
                                        recipe_world_size, run_queue, threads_per_job)
from openmixosr.utils.tool_errors import run_tool

TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Pre-train, linear-evaluate, print one table')
    parser.add_argument('linear_config', help='linear-evaluation config (with a top-level `pretrained`)')
    parser.add_argument('--pretrain', nargs='+', required=True, help='self-supervised pre-training configs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='seeds, each once (default: 0)')
    parser.add_argument('--jobs', type=int,
                        help='trainings at once, each with cores // jobs threads (default: one single-thread run per '
                        'core, at most 4, on a CPU-only machine; 1 with a GPU)')
    parser.add_argument('--work-dir', help='root of all work dirs (default: work_dirs/linear_LINEAR_CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='options of every pre-training run')
    parser.add_argument('--linear-cfg-options', nargs='+', default=[], help='options of every linear evaluation')
    parser.add_argument('--rerun-other-code', action='store_true',
                        help='train again the finished runs of other code (package sources or library versions); by '
                        'default they are tabled with the mark ‡')
    args = parser.parse_args(argv)
    args.linear_config = resolve_config(args.linear_config)
    args.pretrain = [resolve_config(config) for config in args.pretrain]
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds {" ".join(map(str, args.seeds))}: a seed is given twice (the same run would count '
                     'twice in a mean and a std)')
    if args.jobs is not None and args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    return args


def plan_runs(args, work_root: str):
    """``(pre-training config name, linear run)`` for every pre-training config and seed; each linear run consumes
    its pre-training run's last checkpoint as ``pretrained``."""
    if 'pretrained' not in Config.fromfile(args.linear_config):
        raise KeyError(f'{args.linear_config} has no top-level `pretrained`: it is not a linear-evaluation config '
                       '(see configs/selfsup/linear_eval/).')
    linear_size = recipe_world_size(Config.fromfile(args.linear_config))
    planned = []
    for config in args.pretrain:
        name = osp.splitext(osp.basename(config))[0]
        size = recipe_world_size(Config.fromfile(config))
        for seed in args.seeds:
            work_dir = osp.join(work_root, name, f'seed{seed}')
            pretrain = Run(config, work_dir, seed, args.cfg_options, name=f'{name}, seed {seed}', world_size=size,
                           validated=False)
            planned.append((name, Run(args.linear_config, osp.join(work_dir, 'linear'), seed,
                                      args.linear_cfg_options, source=pretrain, source_option='pretrained',
                                      name=f'{name}, seed {seed}, linear evaluation', world_size=linear_size)))
    return planned


def main(argv=None):
    args = parse_args(argv)
    work_root = args.work_dir or osp.join('work_dirs', 'linear_' + osp.splitext(osp.basename(args.linear_config))[0])
    planned = plan_runs(args, work_root)
    jobs = args.jobs or default_local_jobs()
    launcher = LocalLauncher(TRAIN, threads_per_job(jobs))
    with exclusive_lock(osp.join(work_root, '.table.lock'), f'The work dir {work_root}'):
        progress = ProgressBar(len(queue_order([run for _, run in planned])), file=sys.stderr)
        notify = lambda text: print(f'\n{text}', file=sys.stderr, flush=True)  # noqa: E731
        outcomes = {outcome.run.key: outcome for outcome in run_queue(
            [run for _, run in planned], launcher, jobs, on_outcome=lambda outcome: progress.update(),
            rerun_other_code=args.rerun_other_code, notify=notify)}
        finished = {}
        for name, run in planned:
            if outcomes[run.key].ok:
                finished.setdefault(name, []).append(outcomes[run.key])
        report = failure_report(list(outcomes.values()))
        if not finished:
            sys.exit((report + '\n' if report else '') + 'No run finished: no table written.')
        labels = {name: name if len(done) == len(args.seeds) else f'{name} ({len(done)} of {len(args.seeds)} runs)'
                  for name, done in finished.items()}
        table = format_seed_table(
            {labels[name]: [outcome.metrics for outcome in done] for name, done in finished.items()},
            f'Linear evaluation of {osp.basename(args.linear_config)} (mean ± std over seeds {list(args.seeds)}; '
            'values in %)',
            other_code={labels[name]: [outcome.other_code for outcome in done] for name, done in finished.items()})
        print('\n' + table)
        with open(osp.join(work_root, 'linear_eval.txt'), 'w') as file:
            file.write(table + '\n')
    if report:
        sys.exit(report)


if __name__ == '__main__':
    run_tool(main)
