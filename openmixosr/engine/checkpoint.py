"""Checkpoint loading under torch's ``weights_only=True`` default, with nothing unpickled but data.

MMEngine 0.10 calls ``torch.load(filename)`` and relies on full unpickling. Since torch 2.6 that call refuses the
numpy arrays and the message hub's ``HistoryBuffer`` objects that MMEngine writes into every checkpoint. This module
registers a local-file loader that keeps ``weights_only=True`` and allow-lists exactly the numpy building blocks of
arrays and scalars. ``HistoryBuffer`` is *not* allow-listed: its pickled state holds bound methods that would need
``builtins.getattr``, which would let a checkpoint run code. :class:`~openmixosr.engine.hooks.SafeCheckpointHook`
stores the buffers as plain arrays instead (see :func:`message_hub_to_plain`).
"""
import os.path as osp

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
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} not found. Pass the path of a `.pth` file written by '
                                f'`tools/train.py` (it lies in the work dir, e.g. work_dirs/CONFIG/epoch_N.pth).')
    with torch.serialization.safe_globals(ALLOWED_GLOBALS):
        return torch.load(filename, map_location=map_location, weights_only=True)


def register_weights_only_loader() -> None:
    """Make MMEngine's loader of local paths (prefix ``''``) use :func:`load_weights_only`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_weights_only, force=True)


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
