"""Fitted statistics of the open-set scores, cached in one ``.npz`` file next to the checkpoint they were fitted for.

``<checkpoint>.scores_cache.npz`` holds the state dicts of the scores fitted on the training set (keyed by the
score's class and hyper-parameters) and the key of what they were fitted on: the sha256 of the weights actually
evaluated (the model's state dict after loading, not the file: a resumed or partly loaded model differs from it), a
hash of the training data's config (with the test pipeline), the model's config and the loading options, and
:data:`CACHE_VERSION`. A cache whose key differs is ignored and overwritten, so changed weights, another split or a
change of how the scores are fitted never reuse stale statistics.
"""
import hashlib
import json
import os
import os.path as osp
import warnings
import zipfile
from typing import Dict

import numpy as np
import torch

#: Separates the score's cache key from the state dict's key in the ``.npz`` entry names.
_SEPARATOR = '|'
_KEY_ENTRY = '__cache_key__'
States = Dict[str, Dict[str, np.ndarray]]


#: Part of every cache key: raise it when what a fit computes changes (a fix of a score or of the stored features).
CACHE_VERSION = 1


def state_sha256(model) -> str:
    """The sha256 of a model's state dict: every entry's name, dtype, shape and bytes, in order."""
    digest = hashlib.sha256()
    for name, value in model.state_dict().items():
        tensor = value.detach().cpu().contiguous()
        digest.update(f'{name}:{tensor.dtype}:{tuple(tensor.shape)}'.encode())
        digest.update(tensor.numpy().tobytes() if tensor.dtype != torch.bfloat16 else tensor.float().numpy().tobytes())
    return digest.hexdigest()


class ScoreCache:
    """The cached fitted statistics of one checkpoint.

    Args:
        checkpoint (str): Path of the checkpoint file (local): the cache lies next to it.
        weights_digest (str): :func:`state_sha256` of the evaluated model.
        context (dict): What else the statistics depend on (JSON-serialisable after ``str`` of unknown objects),
            e.g. the training dataloader config and the model config.
    """

    suffix = '.scores_cache.npz'

    def __init__(self, checkpoint: str, weights_digest: str, context: dict) -> None:
        self.path = checkpoint + self.suffix
        context_json = json.dumps(dict(context, cache_version=CACHE_VERSION), sort_keys=True, default=str)
        self.key = f'{weights_digest}:{hashlib.sha256(context_json.encode()).hexdigest()}'

    def load(self) -> States:
        """The cached state dicts by score key; empty when there is no cache or it was made for something else."""
        if not osp.isfile(self.path):
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if _KEY_ENTRY not in data.files or str(data[_KEY_ENTRY]) != self.key:
                    return {}
                states: States = {}
                for entry in data.files:
                    if entry != _KEY_ENTRY:
                        score_key, state_key = entry.split(_SEPARATOR, 1)
                        states.setdefault(score_key, {})[state_key] = data[entry]
                return states
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:  # truncated or foreign: refit, overwrite
            warnings.warn(f'Ignoring the unreadable score cache {self.path}: {error}')
            return {}

    def save(self, states: States) -> None:
        """Write the state dicts (atomically: a partial file never replaces a good one).

        Args:
            states (dict[str, dict[str, np.ndarray]]): State dicts by score key (no ``|`` in the score keys).

        Raises:
            ValueError: A score key holds ``|``, or a state is not a plain array (nothing is written).
            OSError: The file could not be written, e.g. a read-only checkpoint directory or a full disk (the partial
                file is removed; an existing cache is left as it was).
        """
        entries = {_KEY_ENTRY: np.asarray(self.key)}
        for score_key, state in states.items():
            if _SEPARATOR in score_key:
                raise ValueError(f'Score cache keys must not contain {_SEPARATOR!r}: {score_key!r}')
            entries.update({f'{score_key}{_SEPARATOR}{name}': np.asarray(value) for name, value in state.items()})
        unsaveable = sorted(name for name, value in entries.items() if value.dtype == object)
        if unsaveable:
            raise ValueError(f'{unsaveable} are not plain arrays')
        partial = f'{self.path}.{os.getpid()}.partial.npz'  # one per process: ranks never share a partial file
        try:
            np.savez(partial, **entries)
            os.replace(partial, self.path)
        finally:
            if osp.exists(partial):
                os.remove(partial)
