"""Train a model from an OpenMixOSR config (the mmpretrain ``tools/train.py`` interface).

    python tools/train.py configs/baselines/ce_r18w16_digits.py
    bash tools/dist_train.sh CONFIG NUM_PROCESSES [ARGS]   # torchrun, GPUs or CPU (gloo)
"""
import argparse
import os

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from openmixosr.engine import init_cpu_distributed
from openmixosr.utils import apply_pretrained, merge_tool_args, register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and checkpoints (default: work_dirs/CONFIG_NAME)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint; without a value, from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: fp16 AMP on GPU, bfloat16 autocast on CPU')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels-last memory format (ChannelsLastHook); with --amp the fastest CPU path')
    parser.add_argument('--no-validate', action='store_true', help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr linearly with the total batch size (see `auto_scale_lr` in the config)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. `split=3 train_cfg.max_epochs=5`; a top-level `split` reaches every '
        'open-set dataset')
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
    apply_pretrained(cfg)  # linear evaluation: the backbone comes from the self-supervised checkpoint

    if args.amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            cfg.optim_wrapper.type = 'CPUAutocastOptimWrapper'

    if args.channels_last:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(type='ChannelsLastHook')]

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = merge_args(Config.fromfile(args.config), args)
    init_cpu_distributed(args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
