"""Pre-train several self-supervised configs, linear-evaluate each, print one table.

    python tools/linear_eval_table.py configs/selfsup/linear_eval/linear_r18w16_digits.py \\
        --pretrain configs/selfsup/mocov2_r18w16_digits.py configs/selfsup/amix_i_r18w16_digits.py \\
        [--seeds 0 1] [--work-dir DIR] [--cfg-options ...] [--linear-cfg-options ...] [--reuse]

Every pre-training config runs for every seed (``tools/train.py``, its own process and work dir); the linear
evaluation config then trains a linear head on the frozen backbone of the last checkpoint (same seed) and the tool
prints closed-set top-1, AUROC and OSCR of the linear classifier (mean and std over the seeds, in %). The linear config
must use the open-set evaluator (e.g. ``linear_r18w16_digits.py``). Each run's log is in its work dir; a finished
pair (pre-training + linear evaluation) leaves ``linear/metrics.json``, which ``--reuse`` takes instead of running the
pair again (to extend a table with more seeds or methods, or to carry on after an interruption). ``--reuse`` does not
compare options: after changing ``--cfg-options``, use another ``--work-dir``.
"""
import argparse
import json
import os.path as osp

from mmengine.utils import ProgressBar

from openmixosr.utils.run_queue import LocalLauncher, Run, format_seed_table, last_checkpoint, train_run

TRAIN = osp.join(osp.dirname(osp.abspath(__file__)), 'train.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Pre-train, linear-evaluate, print one table')
    parser.add_argument('linear_config', help='linear-evaluation config (with a top-level `pretrained`)')
    parser.add_argument('--pretrain', nargs='+', required=True, help='self-supervised pre-training configs')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='seeds (default: 0)')
    parser.add_argument('--work-dir', help='root of all work dirs (default: work_dirs/linear_LINEAR_CONFIG_NAME)')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='options of every pre-training run')
    parser.add_argument('--linear-cfg-options', nargs='+', default=[], help='options of every linear evaluation')
    parser.add_argument('--reuse', action='store_true', help='take the metrics of pairs that already finished')
    return parser.parse_args(argv)


def pretrain_and_evaluate(config: str, args, pretrain_dir: str, seed: int) -> dict:
    """Pre-train ``config``, linear-evaluate its last checkpoint; the linear run's last metrics (also saved)."""
    saved = osp.join(pretrain_dir, 'linear', 'metrics.json')
    if args.reuse and osp.isfile(saved):
        with open(saved) as file:
            return json.load(file)
    launcher = LocalLauncher(TRAIN)
    launcher.launch(Run(config, pretrain_dir, seed), args.cfg_options)
    options = [f'pretrained={last_checkpoint(pretrain_dir)}', *args.linear_cfg_options]
    linear = Run(args.linear_config, osp.join(pretrain_dir, 'linear'), seed, tuple(options))
    metrics = train_run(linear, launcher).metrics
    with open(saved, 'w') as file:
        json.dump(metrics, file)
    return metrics


def main(argv=None):
    args = parse_args(argv)
    work_root = args.work_dir or osp.join('work_dirs', 'linear_' + osp.splitext(osp.basename(args.linear_config))[0])
    progress = ProgressBar(2 * len(args.pretrain) * len(args.seeds))
    results = {}
    for config in args.pretrain:
        name = osp.splitext(osp.basename(config))[0]
        results[name] = []
        for seed in args.seeds:
            results[name].append(pretrain_and_evaluate(config, args, osp.join(work_root, name, f'seed{seed}'), seed))
            progress.update(2)
    table = format_seed_table(results, f'Linear evaluation of {osp.basename(args.linear_config)} '
                         f'(mean ± std over seeds {list(args.seeds)}; values in %)')
    print('\n' + table)
    with open(osp.join(work_root, 'linear_eval.txt'), 'w') as file:
        file.write(table + '\n')


if __name__ == '__main__':
    main()
