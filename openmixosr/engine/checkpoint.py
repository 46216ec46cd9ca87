"""Checkpoint loading under torch's ``weights_only=True`` default, with nothing unpickled but data.

MMEngine 0.10 calls ``torch.load(filename)`` and relies on full unpickling. Since torch 2.6 that call refuses the
numpy arrays and the message hub's ``HistoryBuffer`` objects that MMEngine writes into every checkpoint. This module
registers a local-file loader that keeps ``weights_only=True`` and allow-lists exactly the numpy building blocks of
arrays and scalars. ``HistoryBuffer`` is *not* allow-listed: its pickled state holds bound methods that would need
``builtins.getattr``, which would let a checkpoint run code. :class:`~openmixosr.engine.hooks.SafeCheckpointHook`
stores the buffers as plain arrays instead (see :func:`message_hub_to_plain`).

A file that is not a readable torch checkpoint (truncated by a kill while saving, empty, or not a checkpoint at all)
raises :class:`CorruptedCheckpointError`, which names the file and says what to do.
"""
import os
import os.path as osp
import pickle
import re
from typing import List, Optional, Tuple

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
    """Load a local checkpoint with ``torch.load(weights_only=True)`` and the numpy allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If the file does not exist.
        pickle.UnpicklingError: If the file holds anything outside the allow-list (it is never unpickled).
        CorruptedCheckpointError: If the file cannot be read (truncated, empty, not a checkpoint).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} not found. Pass the path of a `.pth` file written by '
                                f'`tools/train.py` (it lies in the work dir, e.g. work_dirs/CONFIG/epoch_N.pth).')
    try:
        with torch.serialization.safe_globals(ALLOWED_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as error:
        if _is_unreadable(error):
            raise corrupted_checkpoint_error(filename, error) from error
        raise


def load_from_local(filename: str, map_location=None):
    """MMEngine's loader of local paths: :func:`load_weights_only`.

    MMEngine logs "Loads checkpoint by {name} backend" with the loader function's name minus ``load_from_``, so the
    name of this function is what the log shows ("local backend").
    """
    return load_weights_only(filename, map_location=map_location)


def register_weights_only_loader() -> None:
    """Make MMEngine's loader of local paths (prefix ``''``) use :func:`load_weights_only`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


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
            'log_history': np.asarray(buffer._log_history),
            'count_history': np.asarray(buffer._count_history),
            'max_length': int(buffer.max_length),
        } if isinstance(buffer, HistoryBuffer) else buffer
        for key, buffer in state['log_scalars'].items()
    }
    return plain


def message_hub_from_plain(state: dict) -> dict:
    """Inverse of :func:`message_hub_to_plain`: rebuild the ``HistoryBuffer`` objects."""
    restored = dict(state)
    restored['log_scalars'] = {
        key: HistoryBuffer(value['log_history'], value['count_history'], value['max_length'])
        if isinstance(value, dict) and value.get(_PLAIN_BUFFER_KEY) else value
        for key, value in state['log_scalars'].items()
    }
    return restored


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
