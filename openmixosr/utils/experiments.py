"""Experiment manifests: which configs form a table, apart from the model and data configs.

A manifest is a small Python file of its own, read with MMEngine's ``Config.fromfile`` (one file: no ``_base_``, so
that every path in it is relative to it and to nothing else). The ablation of the asymmetric distillation paper
(``tools/reproduce_ablation.py``; ``configs/experiments/asym_ablation_*.py``) is one:

.. code-block:: python

    teacher = '../baselines/ce_r50w16_digits.py'             # trained once (seed 0); the rows that distil get it
    rows = [dict(name='(a) CutMix', config='../baselines/cutmix_r18w16_digits.py', paper_row='asym.t6.a'), ...]
    variant_rows = [dict(name='(b) + mixup CE (ours)', config='../asym/ablation/...py')]     # with --variants
    learned_mask_rows = [dict(name='(d) with AutoMix masks (ours)', config='...')]           # with --learned-masks

A config is named by a path relative to the manifest, an absolute path, or ``openmixosr::NAME`` (a config shipped
with the package). ``paper_row`` is an id of :mod:`openmixosr.paper_results` (a row of ours has none).

A distillation config names the config of its teacher itself (``teacher_config``, a path or ``openmixosr::NAME``;
:func:`teacher_config_of`): like mmrazor's ``teacher.cfg_path``, the teacher's recipe belongs to the student's.
"""
import difflib
import os.path as osp
from typing import List, NamedTuple, Optional, Tuple

from mmengine.config import Config

from .config import PACKAGE_SCOPE, load_config, resolve_config


class ExperimentRow(NamedTuple):
    """A row of an experiment's table: its name, its config file, and the paper row it reproduces (if any)."""
    name: str
    config: str
    paper_row: Optional[str] = None


class Ablation(NamedTuple):
    """An ablation manifest (module docstring)."""
    path: str
    teacher: str
    rows: Tuple[ExperimentRow, ...]
    variant_rows: Tuple[ExperimentRow, ...] = ()
    learned_mask_rows: Tuple[ExperimentRow, ...] = ()


ABLATION_KEYS = ('teacher', 'rows', 'variant_rows', 'learned_mask_rows')
ROW_KEYS = ('name', 'config', 'paper_row')


def _refuse_unknown(keys, known, where: str) -> None:
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            raise KeyError(f'{where}: unknown key {key!r}' + (f' (did you mean {close[0]!r}?)' if close else '') +
                           f'; the keys are {list(known)}.')


def config_path(reference: str, relative_to: str) -> str:
    """The file a config reference names: ``openmixosr::NAME``, an absolute path, or a path relative to the folder of
    the file ``relative_to``.

    Raises:
        FileNotFoundError: When the file does not exist.
    """
    if reference.startswith(PACKAGE_SCOPE):
        return resolve_config(reference)
    path = osp.normpath(osp.join(osp.dirname(osp.abspath(relative_to)), reference))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{relative_to} names the config {reference!r}, which does not exist ({path}).')
    return path


def load_ablation(path: str) -> Ablation:
    """Read an ablation manifest (:class:`Ablation`), checking its keys, its configs and its paper rows.

    Raises:
        KeyError: An unknown key (naming the closest known one), a missing ``teacher`` or ``rows``, a paper row
            :mod:`openmixosr.paper_results` does not have.
        ValueError: A manifest with ``_base_``, or two rows of one name.
        FileNotFoundError: A config that does not exist.
    """
    from openmixosr.paper_results import row_by_id
    path = resolve_config(path)
    with open(path) as file:
        if '_base_' in file.read():
            raise ValueError(f'{path}: an experiment manifest is one file (no _base_), so that its paths are relative '
                             'to it alone.')
    manifest = Config.fromfile(path).to_dict()
    _refuse_unknown(manifest, ABLATION_KEYS, path)
    for key in ('teacher', 'rows'):
        if key not in manifest:
            raise KeyError(f'{path} has no `{key}`: an ablation manifest names its teacher config and its rows '
                           '(see configs/experiments/asym_ablation_digits.py).')

    def rows(key) -> Tuple[ExperimentRow, ...]:
        found = []
        for index, row in enumerate(manifest.get(key, [])):
            _refuse_unknown(row, ROW_KEYS, f'{path}, {key}[{index}]')
            if row.get('paper_row') is not None:
                row_by_id(row['paper_row'])
            found.append(ExperimentRow(row['name'], config_path(row['config'], path), row.get('paper_row')))
        return tuple(found)

    ablation = Ablation(path, config_path(manifest['teacher'], path), rows('rows'), rows('variant_rows'),
                        rows('learned_mask_rows'))
    names: List[str] = [row.name for row in (*ablation.rows, *ablation.variant_rows, *ablation.learned_mask_rows)]
    if len(set(names)) != len(names) or 'teacher' in names:
        raise ValueError(f'{path}: every row needs its own name (and none may be called "teacher"): {names}')
    return ablation


def teacher_config_of(config: str) -> Optional[str]:
    """The teacher config a distillation config names (``teacher_config``: ``openmixosr::NAME`` or a path, relative
    to the working directory like every path in a config), read from the merged config; None when it names none.

    Raises:
        FileNotFoundError: When the named config does not exist.
    """
    reference = load_config(config).get('teacher_config')
    if reference is None:
        return None
    path = resolve_config(reference)
    if not osp.isfile(path):
        raise FileNotFoundError(f'teacher_config of {config} names {reference!r}, which does not exist: name a '
                                'shipped config as openmixosr::NAME, or give a path.')
    return path
