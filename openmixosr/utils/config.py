"""Config and command-line helpers shared by the tools."""
import argparse
import difflib
import inspect
import os
import os.path as osp
from typing import Iterable, Optional, Sequence

import torch
from mmengine.config import Config, ConfigDict, DictAction

#: ``--launcher`` choices of the runner tools (MMEngine's launchers).
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def apply_osr_split(cfg: Config) -> Config:
    """Copy the top-level ``split`` of a config into every dataset config that has an ``osr_split`` key.

    Configs declare ``split = 0`` once at the top and pass ``osr_split=split`` to their datasets. MMEngine resolves that
    reference when the file is parsed, so ``--cfg-options split=3`` alone would not reach the datasets; the tools call
    this function after merging the command-line options so that it does.

    Args:
        cfg (Config): The merged config. Left unchanged when it has no top-level ``split``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    if 'split' not in cfg:
        return cfg
    split = cfg.split
    if not isinstance(split, int) or isinstance(split, bool):
        raise TypeError(f'`split` must be an integer index of a published open-set split, got {split!r}')

    def visit(node):
        if isinstance(node, (dict, ConfigDict)):
            if 'osr_split' in node:
                node['osr_split'] = split
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    for key, value in cfg.items():
        if key != 'split':
            visit(value)
    return cfg


def apply_pretrained(cfg: Config) -> Config:
    """Load the backbone of a linear-evaluation config from the top-level ``pretrained`` checkpoint.

    Linear-evaluation configs declare ``pretrained = 'work_dirs/.../epoch_N.pth'`` (a self-supervised checkpoint) so
    that ``--cfg-options pretrained=PATH`` picks another one; this sets
    ``model.backbone.init_cfg = dict(type='SafePretrained', checkpoint=pretrained, prefix='backbone.')`` (weights-only
    loading, :class:`~openmixosr.engine.SafePretrainedInit`) and fails early,
    naming the pre-training command, when the file does not exist.

    Args:
        cfg (Config): The merged config. Left unchanged when it has no top-level ``pretrained``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    if cfg.get('pretrained') is None:
        return cfg
    if not osp.isfile(cfg.pretrained):
        raise FileNotFoundError(
            f'The self-supervised checkpoint {cfg.pretrained!r} does not exist. Pre-train first, e.g. '
            f'`python tools/train.py configs/selfsup/amix_i_r18w16_digits.py`, or pass another one with '
            f'`--cfg-options pretrained=work_dirs/<pretrain config>/epoch_<N>.pth`.')
    cfg.model.backbone.init_cfg = dict(type='SafePretrained', checkpoint=cfg.pretrained, prefix='backbone.')
    # mmpretrain's ResNet skips its zero_init_residual (zeroing the last BN of each block) only when the init type is
    # literally 'Pretrained' (mmpretrain 1.2, ResNet.init_weights); with 'SafePretrained' it would zero loaded weights.
    if _accepts(cfg.model.backbone, 'zero_init_residual'):
        cfg.model.backbone.zero_init_residual = False
    return cfg


def _accepts(module_cfg: dict, argument: str) -> bool:
    """Whether the registered class of ``module_cfg['type']`` takes ``argument`` in its constructor or in the
    constructor of a base class it passes ``**kwargs`` to."""
    from openmixosr.registry import MODELS
    module_cls = MODELS.get(module_cfg['type'])
    if module_cls is None:
        return False
    return any(argument in inspect.signature(klass.__init__).parameters for klass in module_cls.__mro__
               if '__init__' in vars(klass))


#: Top-level keys MMEngine's runner reads from a config (``Runner.from_cfg`` and ``runner.cfg.get``) and OpenMixOSR's
#: own (``load_cfg``: :class:`~openmixosr.engine.OpenMixOSRRunner`); accepted by ``--cfg-options`` even when the config
#: does not set them.
RUNNER_CONFIG_KEYS = frozenset({
    'model_wrapper_cfg', 'runner_type', 'custom_imports', 'sync_bn', 'find_unused_parameters', 'compile',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'gpu_ids', 'load_cfg'
})


def _runner_arguments() -> frozenset:
    from mmengine.runner import Runner
    return frozenset(name for name in inspect.signature(Runner.__init__).parameters if name not in ('self', 'cfg'))


def check_cfg_options(cfg: Config, options: Iterable[str]) -> None:
    """Refuse ``--cfg-options`` whose top-level key is unknown: a typo would otherwise be merged and ignored.

    A top-level key is known when the config sets it (its own keys such as ``split``, ``teacher_config``,
    ``ablation_rows``, ``pretrained`` included) or when MMEngine's runner reads it (``load_from``, ``resume``,
    ``work_dir``, ``randomness``, ...). ``--cfg-options splt=3`` used to train split 0 and exit 0.

    Args:
        cfg (Config): The config before the options are merged.
        options (Iterable[str]): The keys given with ``--cfg-options``, e.g. ``['split', 'train_cfg.max_epochs']``.

    Raises:
        ValueError: For an unknown top-level key, naming the closest known one. Add a new top-level key in a config
            file instead.
    """
    known = set(cfg.keys()) | _runner_arguments() | RUNNER_CONFIG_KEYS
    for option in options:
        top = option.split('.', 1)[0]
        if top in known:
            continue
        close = difflib.get_close_matches(top, sorted(known), n=1)
        hint = f' Did you mean {close[0]!r}?' if close else ''
        raise ValueError(
            f'--cfg-options {option}: {top!r} is not a top-level key of this config nor one MMEngine reads, so it '
            f'would be ignored.{hint} Top-level keys of this config: {", ".join(sorted(cfg.keys()))}. (A new '
            f'top-level key belongs in a config file.)')


def merge_tool_args(cfg: Config, config_path: str, cfg_options: Optional[dict], launcher: str,
                    work_dir: Optional[str]) -> Config:
    """What ``tools/train.py`` and ``tools/test.py`` both do to a config before building the runner.

    Merges ``--cfg-options`` (refusing unknown top-level keys, :func:`check_cfg_options`) and propagates the split
    (:func:`apply_osr_split`), records the launcher, sets the work dir (``work_dirs/CONFIG_NAME`` by default) and,
    without a GPU, the gloo backend of a distributed run and ``pin_memory=False`` in the dataloaders (pinned memory
    serves copies to a GPU; torch ignores it with a warning otherwise).

    Returns:
        Config: ``cfg``, modified in place.
    """
    if cfg_options is not None:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    apply_osr_split(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    if not torch.cuda.is_available():
        if launcher != 'none':
            cfg.env_cfg.dist_cfg = dict(backend='gloo')
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if (cfg.get(name) or {}).get('pin_memory'):
                cfg[name].pin_memory = False
    return cfg


def parse_tool_args(parser: argparse.ArgumentParser,
                    cfg_options_help: str,
                    argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Add the options that ``tools/train.py`` and ``tools/test.py`` both end with, parse, and export ``LOCAL_RANK``.

    The options are ``--cfg-options`` (config overrides, merged by :func:`merge_tool_args`), ``--launcher`` (one of
    :data:`LAUNCHERS`, default ``'none'``) and ``--local_rank`` / ``--local-rank`` (default 0, what the legacy
    ``torch.distributed.launch`` passes). ``LOCAL_RANK`` is set from ``--local_rank`` unless the launcher (torchrun)
    has set it already.

    Args:
        parser (argparse.ArgumentParser): The tool's parser, holding its own options.
        cfg_options_help (str): Help text of ``--cfg-options`` (each tool gives its own examples).
        argv (Sequence[str], optional): The arguments to parse, without the program name. None reads ``sys.argv``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    parser.add_argument('--launcher', choices=list(LAUNCHERS), default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
