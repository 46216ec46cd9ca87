"""Evaluate a checkpoint on the open-set test set of a config (the mmpretrain ``tools/test.py`` interface).

    python tools/test.py CONFIG CHECKPOINT [--out results.npz]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [ARGS]
"""
import argparse

from mmengine.config import Config

from openmixosr.engine import build_runner, init_cpu_distributed
from openmixosr.utils import merge_tool_args, register_all_modules
from openmixosr.utils.config import parse_tool_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation log')
    parser.add_argument('--out', help='dump per-sample logits, open-set scores and labels (-1 = unknown) to this '
                        '.npz file; draw curves with tools/analysis/plot_osr_curves.py')
    parser.add_argument('--no-strict', action='store_true',
                        help='load the checkpoint even if it does not fit the model (missing entries keep their '
                        'initial values); by default a mismatch is an error that says what the checkpoint is')
    parser.add_argument('--allow-other-classes', action='store_true',
                        help='score a checkpoint trained on other known classes than the test set (a warning '
                        'instead of an error)')
    cfg_options_help = ('override config entries, e.g. `split=3`; a top-level `split` reaches every open-set dataset; '
                        '`load_cfg.prefix=student.` loads the student of a distiller checkpoint into a classifier '
                        'config')
    return parse_tool_args(parser, cfg_options_help, argv)


def merge_args(cfg: Config, args) -> Config:
    """Fold the command-line options into the config."""
    merge_tool_args(cfg, args.config, args.cfg_options, args.launcher, args.work_dir)
    cfg.load_from = args.checkpoint
    load_cfg = dict(cfg.get('load_cfg') or {})
    if args.no_strict:
        load_cfg['strict'] = False
    if args.allow_other_classes:
        load_cfg['allow_other_classes'] = True
    cfg.load_cfg = load_cfg

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
    runner = build_runner(cfg)
    return runner.test()


if __name__ == '__main__':
    main()
