"""Loading checkpoints with ``torch.load(weights_only=True)``: nothing is unpickled but data.

MMEngine 0.10 loads local files with ``torch.load(filename)``; since torch 2.6 that means ``weights_only=True`` with
torch's default allow-list, which refuses the numpy arrays and the message hub's ``HistoryBuffer`` objects MMEngine
writes into every checkpoint. :func:`load_weights_only` adds exactly what a checkpoint needs, only for the duration of
its own ``torch.load`` call (MMEngine's registered loaders are left alone):

- the numpy building blocks of arrays and scalars (:data:`ALLOWED_GLOBALS`);
- inert stand-ins (:class:`OmittedObject`) for ``HistoryBuffer`` and for ``builtins.getattr``, which its pickle needs
  (:data:`OMITTED_GLOBALS`). The real ``getattr`` would let a checkpoint reach and call arbitrary code; the stand-ins
  call nothing and keep nothing of what the file says, so a plain MMEngine checkpoint loads its weights while its
  message hub history is left out. OpenMixOSR's own checkpoints store that history as plain arrays
  (:func:`message_hub_to_plain`, called by :class:`~openmixosr.engine.hooks.AtomicCheckpointHook`), so it resumes.

OpenMixOSR loads through this module: :class:`~openmixosr.engine.OpenMixOSRRunner` (``load_from``, ``--resume``,
``tools/test.py``), the distiller's teacher and the ``SafePretrained``
initializer. A file that is not a readable torch checkpoint (truncated by a kill while saving, empty, or not a
checkpoint at all) raises :class:`CorruptedCheckpointError`, which names the file and says what to do.
"""
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader


try:  # numpy >= 2
    from numpy._core import multiarray as _multiarray
except ImportError:  # numpy 1.x
    from numpy.core import multiarray as _multiarray

#: Everything a checkpoint written by OpenMixOSR may contain beyond tensors and builtin containers.
ALLOWED_GLOBALS = [
    np.ndarray,
    np.dtype,
    _multiarray._reconstruct,
    _multiarray.scalar,
    *{type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDGUS'},
]

_PLAIN_BUFFER_KEY = '__history_buffer__'


class OmittedObject:
    """What :func:`load_weights_only` puts where a checkpoint holds an object it may not construct.

    It ignores every argument and every state the file gives it and has no attributes to set, so a malicious file
    cannot make it call or keep anything. Subclasses name the global they stand in for (``replaces``).
    """

    __slots__ = ()
    replaces = ''

    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state) -> None:
        pass

    def __repr__(self) -> str:
        return f'<omitted {self.replaces}>'


class OmittedHistoryBuffer(OmittedObject):
    """Stands in for an MMEngine ``HistoryBuffer`` of a message hub written by MMEngine's own checkpoint hook."""

    __slots__ = ()
    replaces = 'mmengine.logging.history_buffer.HistoryBuffer'


class OmittedAttribute(OmittedObject):
    """Stands in for the result of ``builtins.getattr`` (``HistoryBuffer`` pickles its statistics methods so)."""

    __slots__ = ()
    replaces = 'builtins.getattr'


def _omitted_attribute(*args) -> OmittedAttribute:
    """Replaces ``builtins.getattr`` while loading: looks nothing up."""
    return OmittedAttribute()


#: ``(stand-in, global name)`` pairs for :func:`torch.serialization.safe_globals`: torch's weights-only unpickler
#: gives the stand-in wherever the file names the global.
OMITTED_GLOBALS = [
    (OmittedHistoryBuffer, OmittedHistoryBuffer.replaces),
    (_omitted_attribute, OmittedAttribute.replaces),
]


class CorruptedCheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be read: truncated, empty or not a torch checkpoint."""


def _is_refusal(error: BaseException) -> bool:
    """Whether torch refused the file's content (a global outside the allow-list), as opposed to failing to read it."""
    return isinstance(error, pickle.UnpicklingError) and 'Weights only load failed' in str(error)


def _is_unreadable(error: BaseException) -> bool:
    """Whether a ``torch.load`` error means the file itself is damaged (not a device or allow-list problem)."""
    if _is_refusal(error):
        return False
    if isinstance(error, RuntimeError):  # e.g. "PytorchStreamReader failed reading zip archive"
        return 'PytorchStreamReader' in str(error) or 'zip archive' in str(error)
    # Empty or truncated file, or bytes that are not a checkpoint (torch then tries the legacy pickle format).
    return isinstance(error, (EOFError, pickle.UnpicklingError, KeyError, ValueError, IndexError))


def corrupted_checkpoint_error(filename: str, error: BaseException) -> CorruptedCheckpointError:
    """The error raised for an unreadable checkpoint: names the file, its size, torch's reason and what to do."""
    size = osp.getsize(filename) if osp.exists(filename) else 0
    reason = (str(error).strip().splitlines() or [''])[0].split('. ')[0] or 'end of file'  # torch's first sentence
    return CorruptedCheckpointError(
        f'Checkpoint {filename} is corrupted or incomplete ({size} bytes): it is not a readable torch checkpoint '
        f'(torch: {type(error).__name__}: {reason}). A run killed while saving, a full disk or an interrupted copy '
        f'leaves such a file. Use an earlier checkpoint of the same run (`--resume` without a path falls back to the '
        f'newest readable one of the work dir), or copy the file again.')


def load_weights_only(filename: str, map_location=None):
    """Load a local checkpoint with ``torch.load(weights_only=True)``, the numpy allow-list and the inert stand-ins.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Returns:
        dict: The checkpoint; MMEngine ``HistoryBuffer`` objects in it are :class:`OmittedHistoryBuffer`.

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If the file holds anything else outside the allow-list (it is never unpickled).
        CorruptedCheckpointError: If the file cannot be read (truncated, empty, not a checkpoint).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} not found. Pass the path of a `.pth` file written by '
                                f'`tools/train.py` (it lies in the work dir, e.g. work_dirs/CONFIG/epoch_N.pth).')
    try:
        with torch.serialization.safe_globals(ALLOWED_GLOBALS + OMITTED_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as error:
        if _is_unreadable(error):
            raise corrupted_checkpoint_error(filename, error) from error
        raise


def resolve_checkpoint(path: str) -> str:
    """A checkpoint file, or a run's work dir standing for the checkpoint it saved last (MMEngine's
    ``last_checkpoint`` file in it): how configs name a teacher (``teacher_checkpoint='work_dirs/ce_r50_svhn'``)
    without hard-coding its last epoch.

    Raises:
        FileNotFoundError: For a work dir whose run saved no checkpoint.
    """
    if not osp.isdir(path):
        return path
    pointer = osp.join(path, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{path} is a work dir without last_checkpoint: its run saved no checkpoint. Train it '
                                'first (python tools/train.py CONFIG --work-dir ' + path + '), or name a .pth file.')
    with open(pointer) as file:
        named = file.read().strip()
    # MMEngine writes the path as the run saw its work dir: a relative one is relative to where the run started
    beside = osp.join(path, osp.basename(named))
    return named if osp.isfile(named) or not osp.isfile(beside) else beside


def load_checkpoint_file(filename: str, map_location=None, logger='current'):
    """Load a checkpoint: a local file with :func:`load_weights_only`, a URL with MMEngine's loader of its scheme.

    MMEngine's loaders of URLs call ``torch.load`` with torch's default (``weights_only=True`` since torch 2.6).

    Args:
        filename (str): A local path or a URL MMEngine's ``CheckpointLoader`` knows.
        map_location: Same as :func:`torch.load`.
        logger: Where MMEngine logs the download of a URL. Defaults to ``'current'``.

    Returns:
        dict: The checkpoint.
    """
    if '://' in filename:  # every scheme MMEngine knows: https://, s3://, torchvision://, open-mmlab://, ...
        return CheckpointLoader.load_checkpoint(filename, map_location=map_location, logger=logger)
    return load_weights_only(filename, map_location=map_location)


def message_hub_to_plain(state: dict) -> dict:
    """Replace the ``HistoryBuffer`` objects of a message hub state dict by plain dicts of arrays.

    Args:
        state (dict): ``MessageHub.state_dict()`` as MMEngine puts it into a checkpoint.

    Returns:
        dict: A copy whose ``log_scalars`` values are ``{'__history_buffer__': True, 'log_history': ndarray,
        'count_history': ndarray, 'max_length': int}``.
    """
    plain = dict(state)
    plain['log_scalars'] = {
        key: {
            _PLAIN_BUFFER_KEY: True,
            'log_history': np.asarray(buffer.data[0]),
            'count_history': np.asarray(buffer.data[1]),
            'max_length': int(buffer.max_length),
        } if isinstance(buffer, HistoryBuffer) else buffer
        for key, buffer in state['log_scalars'].items()
    }
    return plain


def message_hub_from_plain(state: dict) -> Tuple[dict, List[str]]:
    """Inverse of :func:`message_hub_to_plain`: rebuild the ``HistoryBuffer`` objects.

    Args:
        state (dict): The ``message_hub`` of a checkpoint loaded by :func:`load_weights_only`.

    Returns:
        tuple[dict, list[str]]: The state for ``MessageHub.load_state_dict`` and the keys of the history buffers it
        leaves out (also from ``resumed_keys``): those of a checkpoint written by MMEngine's own hook
        (:class:`OmittedHistoryBuffer`).
    """
    omitted = [key for key, value in state['log_scalars'].items() if isinstance(value, OmittedObject)]
    restored = dict(state)
    restored['log_scalars'] = {
        key: HistoryBuffer(value['log_history'], value['count_history'], value['max_length'])
        if isinstance(value, dict) and value.get(_PLAIN_BUFFER_KEY) else value
        for key, value in state['log_scalars'].items() if key not in omitted
    }
    if 'resumed_keys' in state:
        restored['resumed_keys'] = {key: value for key, value in state['resumed_keys'].items() if key not in omitted}
    return restored, omitted


_NUMBERED = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def _numbered_checkpoints(directory: str) -> List[Tuple[int, str]]:
    """``(number, path)`` of the ``epoch_N.pth`` / ``iter_N.pth`` files of a directory, highest number first."""
    if not osp.isdir(directory):
        return []
    found = [(int(match.group(2)), osp.join(directory, name)) for name in os.listdir(directory)
             if (match := _NUMBERED.match(name))]
    return sorted(found, reverse=True)


def find_resumable_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint an automatic ``--resume`` should continue from: the latest one that can be read.

    That is the file named by ``work_dir/last_checkpoint`` when it is readable; otherwise (missing, truncated by a
    kill, corrupted) the newest readable ``epoch_N.pth`` / ``iter_N.pth`` written before it in the same directory.
    Files with a higher number than the one ``last_checkpoint`` names belong to an earlier run in the same work dir
    and are never picked. Every file is fully read once to tell whether it is readable.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        tuple[str | None, list[str]]: The checkpoint (None: nothing to resume, train from scratch) and one sentence
        per skipped file, for the log.

    Raises:
        pickle.UnpicklingError: If a checkpoint holds something outside the allow-list (never skipped silently).
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None, []
    with open(pointer) as file:
        named = file.read().strip()
    if not named:
        return None, [f'{pointer} is empty']
    match = _NUMBERED.match(osp.basename(named))
    candidates = [named] + [path for number, path in _numbered_checkpoints(osp.dirname(named) or '.')
                            if match and number < int(match.group(2)) and path != named]
    skipped = []
    for path in candidates:
        if not osp.isfile(path):
            skipped.append(f'{path} (named by last_checkpoint) does not exist')
            continue
        try:
            load_weights_only(path, map_location='cpu')
        except CorruptedCheckpointError as error:
            skipped.append(str(error).split(': it is')[0])
            continue
        return path, skipped
    return None, skipped


def strip_revise_keys(state_dict: Mapping[str, torch.Tensor], revise_keys) -> Dict[str, torch.Tensor]:
    """Apply MMEngine's ``revise_keys`` ``(pattern, replacement)`` pairs (default: drop a leading ``module.``)."""
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, key), value) for key, value in state_dict.items())
    return state_dict


#: State-dict prefixes renamed since OpenMixOSR checkpoints were first written: ``(old, new, beside)``, applied to
#: the keys under ``old`` of a checkpoint that also holds keys under ``beside``. AutoMix, AMix and MoCo v2 AMix kept
#: their Mix Block at ``mix_block.`` until it moved into their ``LearnedMaskMixer`` (``mixer.mix_block.``); they are
#: the models with a ``momentum_encoder.``. The one map of old checkpoints onto today's models.
RENAMED_PREFIXES = (('mix_block.', 'mixer.mix_block.', 'momentum_encoder.'), )


def rename_old_keys(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """``state_dict`` with the keys of older checkpoints renamed as :data:`RENAMED_PREFIXES` says (order kept).

    Applied wherever OpenMixOSR reads a model's weights from a checkpoint of its own:
    :func:`~openmixosr.engine.checkpoint_loading.load_checked_checkpoint` (``load_from``, ``--resume``,
    ``tools/test.py``, ``visualize_mix.py``) and the frozen Mix Block of a ``LearnedMaskMixer``.
    """
    for old, new, beside in RENAMED_PREFIXES:
        if any(key.startswith(old) for key in state_dict) and any(key.startswith(beside) for key in state_dict):
            state_dict = OrderedDict((new + key[len(old):] if key.startswith(old) else key, value)
                                     for key, value in state_dict.items())
    return state_dict
