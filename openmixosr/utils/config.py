"""Config and command-line helpers shared by the tools."""
import argparse
import difflib
import inspect
import os
import os.path as osp
import warnings
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import Config, ConfigDict, DictAction

#: ``--launcher`` choices of the runner tools (MMEngine's launchers).
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
#: A config shipped with the package: ``openmixosr::asym/r18_digits.py`` (as MMEngine names OpenMMLab packages'
#: configs).
PACKAGE_SCOPE = 'openmixosr::'
_PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def configs_dir() -> str:
    """The configs shipped with the package: ``configs/`` of the checkout that holds it, else the copy in the
    installed package (``openmixosr/.mim/configs``, where OpenMMLab packages keep theirs)."""
    checkout = osp.join(osp.dirname(_PACKAGE_DIR), 'configs')
    return checkout if osp.isdir(osp.join(checkout, '_base_')) else osp.join(_PACKAGE_DIR, '.mim', 'configs')


def resolve_config(config: str) -> str:
    """The file of a config argument: ``openmixosr::NAME`` is ``NAME`` under :func:`configs_dir`; a path stays.

    Raises:
        FileNotFoundError: For a shipped config that does not exist, naming the folder searched.
    """
    if not config.startswith(PACKAGE_SCOPE):
        return config
    path = osp.join(configs_dir(), config[len(PACKAGE_SCOPE):])
    if not osp.isfile(path):
        raise FileNotFoundError(f'{config}: OpenMixOSR ships no such config (looked for {path}); the shipped configs '
                                f'are under {configs_dir()}, e.g. openmixosr::asym/r18_digits.py.')
    return path


def load_config(config: str) -> Config:
    """``Config.fromfile`` of a config path or ``openmixosr::NAME`` (:func:`resolve_config`). MMEngine resolves an
    ``openmixosr::`` base (``_base_ = 'openmixosr::asym/r18_digits.py'``) through ``pkg_resources``, whose deprecation
    warning is silenced here."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)
        return Config.fromfile(resolve_config(config))


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


KeyPath = Tuple[Union[str, int], ...]


def _data_root_entries(node, path: KeyPath = ()) -> List[Tuple[KeyPath, str]]:
    """``(key path, value)`` of every ``data_root`` string inside ``node`` (dataset configs at any depth)."""
    found = []
    if isinstance(node, (dict, ConfigDict)):
        for key, value in node.items():
            if key == 'data_root' and isinstance(value, str):
                found.append(((*path, key), value))
            else:
                found += _data_root_entries(value, (*path, key))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            found += _data_root_entries(value, (*path, index))
    return found


def _dataset_data_roots(cfg: Config) -> List[Tuple[KeyPath, str]]:
    """``(key path, value)`` of every ``data_root`` below the top level of a config (the top-level variable itself
    is not a dataset's)."""
    return [entry for key, value in cfg.items() for entry in _data_root_entries(value, (key, ))]


def _dotted(path: KeyPath) -> str:
    return '.'.join(str(key) for key in path)


def data_root_copies(cfg: Config) -> Dict[str, Tuple[str, List[KeyPath]]]:
    """The top-level variables of a config that its datasets copied into their ``data_root``.

    Dataset configs name their directory once (``data_root = 'data/tiny-imagenet-200'``, ``unknown_data_root``,
    ``in21k_root``) and pass it to their datasets, which MMEngine resolves when the file is parsed: a top-level string
    variable whose value is the ``data_root`` of a dataset config is taken to be its source.

    Args:
        cfg (Config): The config as parsed, before ``--cfg-options`` are merged.

    Returns:
        dict[str, tuple[str, list[tuple]]]: ``{variable: (its value, key paths of the data_root entries holding
        it)}``.
    """
    entries = _dataset_data_roots(cfg)
    copies = {}
    for key, value in cfg.items():
        if isinstance(value, str):
            paths = [path for path, root in entries if root == value]
            if paths:
                copies[key] = (value, paths)
    return copies


def apply_data_roots(cfg: Config, copies: Dict[str, Tuple[str, List[KeyPath]]],
                     options: Iterable[str] = ()) -> Config:
    """Copy the data-root variables that ``--cfg-options`` changed into the datasets that copied them when parsed.

    ``--cfg-options data_root=/scratch/tiny`` changes the top-level variable only (the datasets hold the copies made
    at parse time, like ``osr_split``, see :func:`apply_osr_split`); the tools call this after merging the options so
    that every dataset ``data_root`` that held the variable's old value gets the new one. A dataset ``data_root`` the
    options set themselves (it no longer holds the old value) is kept.

    Args:
        cfg (Config): The merged config.
        copies (dict): :func:`data_root_copies` of the config before the merge.
        options (Iterable[str]): The keys given with ``--cfg-options``, to refuse a data-root option that would be
            ignored.

    Returns:
        Config: ``cfg``, modified in place.

    Raises:
        ValueError: A ``*root`` option that reaches no dataset, or a variable whose old value another top-level
            variable holds too (which of them a dataset copied cannot be told); the message lists the dataset keys to
            set instead.
    """
    for option in options:
        if option.endswith('root') and '.' not in option and option not in copies:
            entries = [_dotted(path) for path, _ in _dataset_data_roots(cfg)]
            raise ValueError(f'--cfg-options {option}: no dataset of this config reads its data from the top-level '
                             f'`{option}`, so it would be ignored. Set the datasets\' own keys instead: '
                             f'{", ".join(entries) or "(this config has no dataset with a data_root)"}.')
    for key, (old, paths) in copies.items():
        new = cfg.get(key)
        if new == old:
            continue
        sharing = sorted(other for other, (value, _) in copies.items() if other != key and value == old)
        if sharing:
            raise ValueError(f'--cfg-options {key}={new}: the top-level {sharing} hold the same value {old!r}, so '
                             f'which datasets copied `{key}` cannot be told. Set the datasets\' own keys instead: '
                             f'{", ".join(_dotted(path) for path in paths)}.')
        for path in paths:
            parent = cfg
            for part in path[:-1]:
                parent = parent[part]
            if parent[path[-1]] == old:
                parent[path[-1]] = new
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
    ``pretrained`` included) or when MMEngine's runner reads it (``load_from``, ``resume``,
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


def merge_cfg_options(cfg: Config, cfg_options: Optional[dict]) -> Config:
    """Merge ``--cfg-options`` into a config as every tool does.

    Unknown top-level keys are refused (:func:`check_cfg_options`); the top-level variables the datasets copied when
    the file was parsed then reach them: the data roots (:func:`apply_data_roots`) and the split
    (:func:`apply_osr_split`, applied even without options).

    Args:
        cfg (Config): The config as parsed.
        cfg_options (dict, optional): ``{key: value}`` of ``--cfg-options``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        copies = data_root_copies(cfg)
        cfg.merge_from_dict(cfg_options)
        apply_data_roots(cfg, copies, cfg_options)
    return apply_osr_split(cfg)


def merge_tool_args(cfg: Config, config_path: str, cfg_options: Optional[dict], launcher: str,
                    work_dir: Optional[str]) -> Config:
    """What ``tools/train.py`` and ``tools/test.py`` both do to a config before building the runner.

    Merges ``--cfg-options`` (:func:`merge_cfg_options`), records the launcher, sets the work dir
    (``work_dirs/CONFIG_NAME`` by default) and, without a GPU, the gloo backend of a distributed run and
    ``pin_memory=False`` in the dataloaders (pinned memory serves copies to a GPU; torch ignores it with a warning
    otherwise).

    Returns:
        Config: ``cfg``, modified in place.
    """
    merge_cfg_options(cfg, cfg_options)
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
