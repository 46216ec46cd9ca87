"""Evaluate a checkpoint on the open-set test set of a config (the mmpretrain ``tools/test.py`` interface).

    python tools/test.py CONFIG CHECKPOINT [--out results.npz]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [ARGS]
"""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from openmixosr.engine import init_cpu_distributed
from openmixosr.utils import merge_tool_args, register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation log')
    parser.add_argument('--out', help='dump per-sample logits, open-set scores and labels (-1 = unknown) to this '
                        '.npz file; draw curves with tools/analysis/plot_osr_curves.py')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. `split=3`; a top-level `split` reaches every open-set dataset')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args) -> Config:
    """Fold the command-line options into the config."""
    merge_tool_args(cfg, args.config, args.cfg_options, args.launcher, args.work_dir)
    cfg.load_from = args.checkpoint

    if args.out is not None:
        if not args.out.endswith('.npz'):
            raise ValueError(f'--out must name a .npz file, got {args.out!r}')
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
        cfg.test_evaluator = [*evaluators, dict(type='OpenSetScoreDump', out_file=args.out)]

    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_distributed(args.launcher)
    runner = Runner.from_cfg(cfg)
    return runner.test()


if __name__ == '__main__':
    main()
