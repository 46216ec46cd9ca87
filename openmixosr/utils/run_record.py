"""The identity of a training run and the record of its result (``WORK_DIR/metrics.json``).

A run's **identity** is everything that determines its result (docs/benchmark_table.md, "Run identity"):

- ``config``: the config file, relative to the project (a re-cloned checkout keeps its runs), and ``config_digest``,
  the SHA-256 of its merged content (``_base_`` files included), computed when the run starts;
- ``seed``, ``options`` (the ``--cfg-options`` the run trains with, but not the paths of the files it consumes);
- ``world_size`` (processes) and ``total_batch`` (``world_size x train_dataloader.batch_size``);
- ``inputs``: the content digest of every file the merged config makes the run read (:data:`CONSUMED_FILE_KEYS`: a
  distiller's teacher, a linear evaluation's pre-trained checkpoint, ``init_cfg`` and ``load_from`` checkpoints),
  keyed by where the config names it. A teacher trained again has another digest, so its students are trained again.

The **record** of a finished run holds its identity, the validations of the attempt that finished (metrics of the
final epoch last), its ``max_epochs``, the attempt's log dir and its provenance (code, libraries, device:
:mod:`openmixosr.utils.provenance`). A record is taken for a run only when (:func:`reusable_record`):

- its identity equals the run's, but for ``inputs`` (other inputs: the run is stale and trained again);
- its validations are those of the attempt's own log (``log_dir/vis_data/scalars.json``): a hand-edited number is
  refused;
- its code (package sources, library versions) is this code's, or the caller accepts other code (the tables then mark
  the result with the code version it came from).
"""
import argparse
import hashlib
import json
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction

from .checkpoint_io import resolve_checkpoint
from .provenance import PACKAGE_DIR, code_version, describe_code, library_versions

FINISHED = 'metrics.json'
#: Layout of ``metrics.json`` (format 1, before run identities, had ``settings`` and ``metrics`` only).
FINISHED_FORMAT = 2
#: Config keys whose string values are files a run reads and whose content therefore decides its result.
CONSUMED_FILE_KEYS = ('teacher_checkpoint', 'pretrained', 'load_from', 'checkpoint')
#: The checkout that holds the package: configs inside it are named relative to it.
PROJECT_ROOT = osp.dirname(PACKAGE_DIR)


class RunRecordError(RuntimeError):
    """A finished run's record cannot be taken: of other settings, broken, or not what its log says."""


# ------------------------------------------------------------------------------------------------ identity
def content_digest(cfg: Config) -> str:
    """SHA-256 of a loaded config's content (keys sorted), before any command-line option is merged."""
    content = json.dumps(cfg.to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(content.encode()).hexdigest()


def config_digest(config: str) -> str:
    """:func:`content_digest` of a config file as it is on disk now (never cached: a config edited during a long
    queue is seen)."""
    return content_digest(Config.fromfile(config))


def project_relative(path: str) -> str:
    """How a run names its config: ``configs/NAME`` for a config shipped with the package (in a checkout or in an
    installed package's ``.mim/configs``), else relative to :data:`PROJECT_ROOT` when inside it, else absolute."""
    from .config import configs_dir
    path = osp.abspath(path)
    for root, prefix in ((configs_dir(), 'configs/'), (PROJECT_ROOT, '')):
        relative = osp.relpath(path, root)
        if not relative.startswith('..'):
            return prefix + relative.replace(os.sep, '/')
    return path


def merged_config(config: str, options: Sequence[str]) -> Config:
    """A config with ``--cfg-options`` strings (``key=value``) merged as ``tools/train.py`` merges them (unknown
    top-level keys refused, ``split`` copied into the datasets)."""
    from .config import apply_osr_split, check_cfg_options
    cfg = Config.fromfile(config)
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        parsed = parser.parse_args(['--cfg-options', *options]).cfg_options
        check_cfg_options(cfg, parsed)
        cfg.merge_from_dict(parsed)
    return apply_osr_split(cfg)


def consumed_files(cfg: Config) -> Dict[str, str]:
    """Where the config names a file the run reads (:data:`CONSUMED_FILE_KEYS`, dotted key) -> the file."""
    found = {}

    def visit(node, prefix):
        if isinstance(node, dict):
            for key, value in node.items():
                where = f'{prefix}{key}'
                if key in CONSUMED_FILE_KEYS and isinstance(value, str) and value:
                    found[where] = value
                else:
                    visit(value, where + '.')
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                visit(value, f'{prefix}{index}.')

    visit(cfg.to_dict(), '')
    return found


@lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def file_digest(path: str) -> str:
    """``'sha256:<hex>'`` of a file's content (a work dir: of its last checkpoint; ``'missing'`` when there is none);
    a file rewritten since is read again (the cache is keyed by size and modification time)."""
    try:
        path = resolve_checkpoint(path)
        stat = os.stat(path)
    except OSError:
        return 'missing'
    return 'sha256:' + _file_sha256(osp.abspath(path), stat.st_size, stat.st_mtime_ns)


def run_identity(config: str, seed: int, options: Sequence[str], world_size: int = 1,
                 input_options: Sequence[str] = ()) -> dict:
    """The identity of a run (module docstring).

    Args:
        config (str): The config file.
        seed (int): ``randomness.seed``.
        options (Sequence[str]): Its ``--cfg-options`` (``key=value``), recorded as given.
        world_size (int): Processes the run trains with.
        input_options (Sequence[str]): Options that name files the run consumes (``model.teacher_checkpoint=PATH``):
            merged, but identified by the content of the file, not by its path.
    """
    cfg = merged_config(config, [*options, *input_options])
    inputs = {key: file_digest(path) for key, path in sorted(consumed_files(cfg).items())}
    return dict(config=project_relative(config), config_digest=config_digest(config), seed=int(seed),
                options=list(options), world_size=int(world_size),
                total_batch=int(world_size) * int(cfg.train_dataloader.batch_size), inputs=inputs)


# ------------------------------------------------------------------------------------------------ records
def read_json_record(path: str, what: str) -> dict:
    """A JSON object from ``path``; RunRecordError naming the file when it is not one."""
    try:
        with open(path) as file:
            record = json.load(file)
        if not isinstance(record, dict):
            raise ValueError('not a JSON object')
    except (OSError, ValueError) as error:
        raise RunRecordError(f'{path} is not a readable {what} ({type(error).__name__}: {error}): delete it to '
                             'train the run again.') from error
    return record


def attempt_result(record_path: str, identity: dict, validated: bool = True) -> dict:
    """The finished record of the attempt that wrote ``record_path`` (:class:`~openmixosr.engine.hooks.
    RunRecordHook`), checked against the identity it was launched with.

    Args:
        record_path (str): The attempt's record.
        identity (dict): The identity it was launched with.
        validated (bool): Whether the run must have validated (False for a run that only produces a checkpoint, a
            self-supervised pre-training: its ``metrics`` are then None when it did not validate).

    Raises:
        RunRecordError: No record (the attempt did not finish), no validation where one is needed, a last validation
            before the last epoch, or a seed / world size / total batch other than launched.
    """
    if not osp.isfile(record_path):
        raise RunRecordError(f'The run wrote no record ({record_path}): it did not finish its training.')
    attempt = read_json_record(record_path, 'run record')
    validations = attempt.get('validations') or []
    if not validations and validated:
        raise RunRecordError('The run finished without a validation (no val_evaluator, or --no-validate): there are '
                             'no metrics to table.')
    if validations and validations[-1]['epoch'] != attempt['max_epochs']:
        raise RunRecordError(f'The run\'s last validation is at epoch {validations[-1]["epoch"]}, not at its last '
                             f'epoch {attempt["max_epochs"]}: its metrics are not those of the trained model.')
    for key in ('seed', 'world_size', 'total_batch'):
        if attempt[key] != identity[key]:
            raise RunRecordError(f'The run trained with {key}={attempt[key]}, but was launched for {key}='
                                 f'{identity[key]}.')
    identity = dict(identity, config_digest=attempt['config_digest'])  # the config as the run read it
    return dict(format=FINISHED_FORMAT, identity=identity, metrics=validations[-1]['metrics'] if validations else None,
                validations=validations, max_epochs=attempt['max_epochs'], log_dir=attempt['log_dir'],
                provenance=attempt['provenance'])


def write_finished(work_dir: str, record: dict) -> None:
    """Write ``metrics.json`` atomically."""
    from openmixosr.engine.hooks.run_record_hook import write_json_atomically
    write_json_atomically(osp.join(work_dir, FINISHED), record)


def log_validations(work_dir: str, log_dir: str) -> List[dict]:
    """The records of an attempt's own log (``WORK_DIR/log_dir/vis_data/scalars.json``).

    Raises:
        RunRecordError: When the log is not there.
    """
    path = osp.join(work_dir, log_dir, 'vis_data', 'scalars.json')
    if not osp.isfile(path):
        raise RunRecordError(f'{osp.join(work_dir, FINISHED)} names the log {path}, which does not exist: its '
                             'numbers cannot be checked. Restore the log, or delete metrics.json to train the run '
                             'again.')
    with open(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def check_against_log(work_dir: str, record: dict) -> None:
    """Every recorded validation must be in the attempt's log with the same values (``step`` = epoch).

    Raises:
        RunRecordError: For a value the log does not hold (``metrics.json`` edited by hand, or another run's log).
    """
    logged = log_validations(work_dir, record['log_dir'])
    last = record['validations'][-1]['metrics'] if record['validations'] else None
    if record['metrics'] != last:
        raise RunRecordError(f'{osp.join(work_dir, FINISHED)}: its metrics are not its last validation\'s: edited '
                             'by hand? Delete it to train the run again.')
    for validation in record['validations']:
        epoch, metrics = validation['epoch'], validation['metrics']
        if not any(entry.get('step') == epoch and all(entry.get(key) == value for key, value in metrics.items())
                   for entry in logged):
            differing = next((entry for entry in logged if entry.get('step') == epoch and set(metrics) <= set(entry)),
                             None)
            what = ('' if differing is None else ': ' + ', '.join(
                f'{key} {value!r} (log: {differing[key]!r})' for key, value in metrics.items()
                if differing[key] != value))
            raise RunRecordError(f'{osp.join(work_dir, FINISHED)} does not match its run\'s log '
                                 f'{osp.join(work_dir, record["log_dir"])} at epoch {epoch}{what}. Edited by hand? '
                                 'Delete metrics.json to train the run again.')


def current_code() -> dict:
    """The code a record is compared with: this process's package and libraries."""
    return dict(code=code_version(), libraries=library_versions())


def other_code(record: dict, current: dict) -> Optional[str]:
    """None when the run was trained by the current code (same package sources and library versions), else a line
    naming the code it came from."""
    provenance = record['provenance']
    code, libraries = provenance.get('code', {}), provenance.get('libraries', {})
    differences = []
    if code.get('source_digest') != current['code'].get('source_digest'):
        differences.append(describe_code(code))
    changed = sorted(name for name in set(libraries) | set(current['libraries'])
                     if libraries.get(name) != current['libraries'].get(name))
    differences += [f'{name} {libraries.get(name)}' for name in changed]
    return '; '.join(differences) or None


def identity_differences(recorded: dict, identity: dict) -> List[str]:
    """The keys of two identities whose values differ, sorted."""
    return sorted(key for key in set(recorded) | set(identity) if recorded.get(key) != identity.get(key))


def reusable_record(work_dir: str, identity: dict, current: dict,
                    rerun_other_code: bool = False) -> Tuple[Optional[dict], Optional[str]]:
    """Whether the run of ``identity`` has finished in ``work_dir``, and if so its record.

    Args:
        work_dir (str): The run's work dir.
        identity (dict): The run's identity now (:func:`run_identity`).
        current (dict): :func:`current_code`.
        rerun_other_code (bool): Train again a run of other code instead of taking its record.

    Returns:
        tuple: ``(record, None)`` to take it; ``(None, None)`` when nothing finished there; ``(None, reason)`` when
        it finished but must be trained again (stale inputs, or other code with ``rerun_other_code``).

    Raises:
        RunRecordError: A record of other settings (another config, config content, seed, options, processes or
            batch), of an older format, broken, or not matching its log.
    """
    path = osp.join(work_dir, FINISHED)
    if not osp.isfile(path):
        return None, None
    record = read_json_record(path, 'record of a finished run')
    if record.get('format') != FINISHED_FORMAT:
        raise RunRecordError(f'{path} was written by an older OpenMixOSR (no run identity, no provenance): whether '
                             'it is a result of these settings and this code cannot be told. Delete it to train the '
                             'run again.')
    recorded = record['identity']
    differing = identity_differences(recorded, identity)
    if differing and differing != ['inputs']:
        raise RunRecordError(
            f'{work_dir} holds a finished run of other settings (differing: {differing}; recorded {recorded}, now '
            f'{identity}; a changed `config_digest` means the config or one of its _base_ files was edited since): '
            'pass another --work-dir, or delete that run to train it again.')
    if differing:
        changed = sorted(key for key in set(recorded['inputs']) | set(identity['inputs'])
                         if recorded['inputs'].get(key) != identity['inputs'].get(key))
        return None, f'the files it consumes changed since it was trained ({", ".join(changed)})'
    check_against_log(work_dir, record)
    came_from = other_code(record, current)
    if came_from and rerun_other_code:
        return None, f'it was trained by other code ({came_from})'
    return record, None
