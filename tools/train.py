"""Train a model from an OpenMixOSR config (the mmpretrain ``tools/train.py`` interface).

    python tools/train.py configs/baselines/ce_r18w16_digits.py
    bash tools/dist_train.sh CONFIG NUM_PROCESSES [ARGS]   # torchrun, GPUs or CPU (gloo)
"""
import argparse
import importlib.util
import os

import torch
from mmengine.config import Config

from openmixosr.engine import build_runner, find_resumable_checkpoint, init_cpu_distributed, launcher_world_size
from openmixosr.engine.optim_wrapper import AMP_DTYPES, mixed_precision
from openmixosr.engine.start_checks import total_batch_problem
from openmixosr.utils import apply_pretrained, merge_tool_args, register_all_modules
from openmixosr.utils.config import load_config, parse_tool_args
from openmixosr.utils.run_record import content_digest
from openmixosr.utils.tool_errors import run_tool

#: ``--vis-backend`` choices: MMEngine visualisation backend and the package it needs.
VIS_BACKENDS = {'tensorboard': ('TensorboardVisBackend', 'tensorboard'), 'wandb': ('WandbVisBackend', 'wandb')}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Train a model')
    parser.add_argument('config', help='config file, or openmixosr::NAME for a config shipped with the package')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints (default: work_dirs/CONFIG_NAME)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint; without a value, from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: on a GPU MMEngine\'s AmpOptimWrapper (float16 with a dynamic loss '
                        'scaler, or --amp-dtype bfloat16); on the CPU bfloat16 autocast (refused on a CPU without '
                        'native bfloat16: no avx512_bf16 / amx_bf16, where it is many times slower than fp32)')
    parser.add_argument('--amp-dtype', choices=AMP_DTYPES,
                        help='with --amp on a GPU: float16 (default; loss scaling) or bfloat16 (compute capability '
                        '>= 8.0; no loss scaling). On the CPU only bfloat16 exists.')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels-last memory format (ChannelsLastHook); with --amp the fastest CPU path')
    parser.add_argument('--no-validate', action='store_true', help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr linearly with the total batch (processes x train_dataloader.batch_size) '
                        'over the recipe\'s (`auto_scale_lr.base_batch_size` in the config)')
    parser.add_argument('--allow-batch-change', action='store_true',
                        help='train with a total batch other than the recipe\'s at the config\'s learning rate; '
                        'without it (or --auto-scale-lr) such a run is refused before it starts')
    parser.add_argument('--sync-bn', action='store_true',
                        help='SyncBatchNorm across the GPUs of a distributed run (MMEngine\'s `sync_bn=\'torch\'`: '
                        'every BatchNorm, the momentum encoder\'s included, normalises with the statistics of the '
                        'total batch; docs/gpu.md)')
    parser.add_argument('--vis-backend', nargs='+', choices=sorted(VIS_BACKENDS), default=[],
                        help='also log scalars to TensorBoard and/or Weights & Biases (besides the local files)')
    parser.add_argument('--run-record', metavar='PATH',
                        help='when training ends, write the run\'s validations and provenance (code, libraries, '
                        'device, processes, total batch) to this JSON file (RunRecordHook; the table tools use it)')
    parser.add_argument('--allow-other-classes', action='store_true',
                        help='allow checkpoints trained on other known classes (the teacher of a distillation, '
                        '--resume) with a warning instead of an error')
    cfg_options_help = ('override config entries, e.g. `split=3 train_cfg.max_epochs=5`; a top-level `split` reaches '
                        'every open-set dataset, a top-level `data_root` (`unknown_data_root`, ...) every dataset that '
                        'reads from it')
    return parse_tool_args(parser, cfg_options_help, argv)


def merge_args(cfg: Config, args) -> Config:
    """Fold the command-line options into the config."""
    if args.run_record:  # the digest of the config as loaded, before the command line changes it
        cfg.default_hooks.run_record = dict(type='RunRecordHook', out_file=args.run_record,
                                            config_digest=content_digest(cfg))
    merge_tool_args(cfg, args.config, args.cfg_options, args.launcher, args.work_dir)
    apply_pretrained(cfg)  # linear evaluation: the backbone comes from the self-supervised checkpoint

    if args.amp_dtype is not None and not args.amp:
        raise ValueError(f'--amp-dtype {args.amp_dtype} without --amp: add --amp (mixed precision) or drop it.')
    if args.amp:
        cfg.optim_wrapper = mixed_precision(cfg.optim_wrapper, args.amp_dtype)  # checked before anything is built

    if args.channels_last:
        cfg.default_hooks.channels_last = dict(type='ChannelsLastHook')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.allow_other_classes:
        cfg.load_cfg = dict(cfg.get('load_cfg') or {}, allow_other_classes=True)

    for name in args.vis_backend:
        backend, package = VIS_BACKENDS[name]
        if importlib.util.find_spec(package) is None:
            raise ImportError(f'--vis-backend {name} needs the `{package}` package: pip install {package}')
        cfg.visualizer.vis_backends = [*cfg.visualizer.get('vis_backends', []), dict(type=backend)]

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    if args.sync_bn:
        if not torch.cuda.is_available():
            raise ValueError('--sync-bn needs GPUs: torch\'s SyncBatchNorm synchronises CUDA tensors only.')
        if args.launcher == 'none':
            raise ValueError('--sync-bn with one process has nothing to synchronise (MMEngine turns SyncBatchNorm back '
                             'into BatchNorm): launch several with tools/dist_train.sh CONFIG NUM_GPUS, or drop it.')
        cfg.sync_bn = 'torch'

    return cfg


def check_total_batch(cfg: Config, world_size: int, allow_change: bool) -> list:
    """Refuse a run whose total batch is not the recipe's (:func:`~openmixosr.engine.start_checks.total_batch_problem`)
    unless ``--allow-batch-change``; then the problem is returned as a log message.

    Raises:
        ValueError: The total batch differs from ``auto_scale_lr.base_batch_size`` without ``--auto-scale-lr`` or
            ``--allow-batch-change``.
    """
    problem = total_batch_problem(cfg, world_size)
    if problem is None:
        return []
    if not allow_change:
        raise ValueError(problem)
    return [f'--allow-batch-change: {problem.split(" Pass one of")[0]} Training anyway.']


def resolve_auto_resume(cfg: Config) -> list:
    """Turn an automatic resume (``resume=True`` without ``load_from``) into the newest readable checkpoint.

    MMEngine resumes from the file ``last_checkpoint`` names and fails if it is missing or truncated. Here a
    damaged latest checkpoint is skipped in favour of the newest readable one of the run
    (:func:`~openmixosr.engine.find_resumable_checkpoint`).

    Returns:
        list[str]: Log messages (the skipped files and the choice).

    Raises:
        RuntimeError: If ``last_checkpoint`` exists but no checkpoint of the run can be read.
    """
    if not cfg.get('resume') or cfg.get('load_from') is not None:
        return []
    path, skipped = find_resumable_checkpoint(cfg.work_dir)
    if path is None and skipped:
        raise RuntimeError(f'--resume: no readable checkpoint in {cfg.work_dir}: {"; ".join(skipped)}. Delete '
                           f'{os.path.join(cfg.work_dir, "last_checkpoint")} to train from scratch.')
    if path is None:
        return [f'--resume: no checkpoint in {cfg.work_dir} yet; training from scratch.']
    cfg.load_from = path
    if skipped:
        return [f'--resume: skipped {"; ".join(skipped)}; resuming from the newest readable checkpoint {path}.']
    return [f'--resume: resuming from the latest checkpoint {path}.']


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = merge_args(load_config(args.config), args)
    warnings = check_total_batch(cfg, launcher_world_size(args.launcher), args.allow_batch_change)
    notes = resolve_auto_resume(cfg)
    warnings += [note for note in notes if 'skipped' in note]
    init_cpu_distributed(args.launcher)
    runner = build_runner(cfg)
    for note in notes:
        if note not in warnings:
            runner.logger.info(note)
    for warning in warnings:
        runner.logger.warning(warning)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
