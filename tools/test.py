"""Evaluate a checkpoint on the open-set test set of a config (the mmpretrain ``tools/test.py`` interface).

    python tools/test.py CONFIG CHECKPOINT [--scores mls knn vim | all] [--out results.npz]
    bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [ARGS]
"""
import argparse

from mmengine.config import Config

from openmixosr.engine import build_runner, init_cpu_distributed
from openmixosr.evaluation.scores import score_configs
from openmixosr.utils import merge_tool_args, register_all_modules
from openmixosr.utils.config import load_config, parse_tool_args
from openmixosr.utils.tool_errors import run_tool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Test (and evaluate) a model')
    parser.add_argument('config', help='config file, or openmixosr::NAME for a config shipped with the package')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the evaluation log')
    parser.add_argument('--out', help='dump per-sample logits, labels (-1 = unknown), the open-set scores of '
                        '--scores (without it: mls, msp, energy) and the CONFIG argument (`config`: the curves\' '
                        'default legend label) to this .npz file (`scores_<name>`); draw curves with '
                        'tools/analysis/plot_osr_curves.py')
    parser.add_argument('--scores', nargs='+', metavar='SCORE',
                        help='open-set scores to evaluate besides the config\'s (osr/<score>/auroc, ...): `all` or '
                        f'names of the OPEN_SET_SCORES registry: {", ".join(score_configs())} (and yours, registered '
                        'by the config\'s custom_imports); scores fitted on the training set collect its features '
                        'once (test pipeline) and cache them next to the checkpoint')
    parser.add_argument('--no-strict', action='store_true',
                        help='load the checkpoint even if it does not fit the model (missing entries keep their '
                        'initial values); by default a mismatch is an error that says what the checkpoint is')
    parser.add_argument('--allow-other-classes', action='store_true',
                        help='score a checkpoint trained on other known classes than the test set (a warning '
                        'instead of an error)')
    cfg_options_help = ('override config entries, e.g. `split=3`; a top-level `split` reaches every open-set dataset, '
                        'a top-level `data_root` (`unknown_data_root`, ...) every dataset that reads from it; '
                        '`load_cfg.prefix=student.` loads the student of a distiller checkpoint into a classifier '
                        'config')
    return parse_tool_args(parser, cfg_options_help, argv)


def score_list(names):
    """``--scores`` as the ``scores`` argument of the open-set metrics: None, ``'all'`` or a list of names."""
    if names is None:
        return None
    if 'all' in names:
        if len(names) > 1:
            raise ValueError(f'--scores all stands alone, got {names}')
        return 'all'
    return list(names)


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
    if cfg.model.get('teacher_checkpoint'):
        # A distiller's checkpoint holds its teacher's weights too (loaded strictly with the rest), so testing needs
        # no teacher file: reading it would only fail on a machine that does not have it.
        cfg.model.teacher_checkpoint = None

    scores = score_list(args.scores)
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [cfg.test_evaluator]
    if scores is not None:
        evaluators = [dict(evaluator, scores=scores) if evaluator.get('type') == 'OpenSetEvaluator' else evaluator
                      for evaluator in evaluators]
    if args.out is not None:
        if not args.out.endswith('.npz'):
            raise ValueError(f'--out must name a .npz file, got {args.out!r}')
        dump = dict(type='OpenSetScoreDump', out_file=args.out, config=args.config)
        evaluators = [*evaluators, dump if scores is None else dict(dump, scores=scores)]
    cfg.test_evaluator = evaluators if len(evaluators) > 1 else evaluators[0]

    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = merge_args(load_config(args.config), args)
    init_cpu_distributed(args.launcher)
    runner = build_runner(cfg)
    return runner.test()


if __name__ == '__main__':
    run_tool(main)
