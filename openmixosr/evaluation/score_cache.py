"""Fitted statistics of the open-set scores, cached in one ``.npz`` file next to the checkpoint they were fitted for.

``<checkpoint>.scores_cache.npz`` holds the state dicts of the scores fitted on the training set (keyed by the
score's class and hyper-parameters) and the key of what they were fitted on: the sha256 of the checkpoint file and a
hash of the training data's config (with the test pipeline), the model's config and the loading options. A cache
whose key differs is ignored and overwritten, so a changed checkpoint (retrained, or another one at the same path)
or another split never reuses stale statistics.
"""
import hashlib
import json
import os
import os.path as osp
import warnings
from typing import Dict

import numpy as np

#: Separates the score's cache key from the state dict's key in the ``.npz`` entry names.
_SEPARATOR = '|'
_KEY_ENTRY = '__cache_key__'
States = Dict[str, Dict[str, np.ndarray]]


def file_sha256(path: str, chunk_bytes: int = 1 << 20) -> str:
    """The sha256 of a file, read in chunks of ``chunk_bytes``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for chunk in iter(lambda: file.read(chunk_bytes), b''):
            digest.update(chunk)
    return digest.hexdigest()


class ScoreCache:
    """The cached fitted statistics of one checkpoint.

    Args:
        checkpoint (str): Path of the checkpoint file (local).
        context (dict): What else the statistics depend on (JSON-serialisable after ``str`` of unknown objects),
            e.g. the training dataloader config and the model config.
    """

    suffix = '.scores_cache.npz'

    def __init__(self, checkpoint: str, context: dict) -> None:
        self.path = checkpoint + self.suffix
        context_json = json.dumps(context, sort_keys=True, default=str)
        self.key = f'{file_sha256(checkpoint)}:{hashlib.sha256(context_json.encode()).hexdigest()}'

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
        except (OSError, ValueError) as error:  # a truncated or foreign file: refit and overwrite it
            warnings.warn(f'Ignoring the unreadable score cache {self.path}: {error}')
            return {}

    def save(self, states: States) -> None:
        """Write the state dicts (atomically: a partial file never replaces a good one). A failure only warns.

        Args:
            states (dict[str, dict[str, np.ndarray]]): State dicts by score key (no ``|`` in the score keys).
        """
        entries = {_KEY_ENTRY: np.asarray(self.key)}
        for score_key, state in states.items():
            if _SEPARATOR in score_key:
                raise ValueError(f'Score cache keys must not contain {_SEPARATOR!r}: {score_key!r}')
            entries.update({f'{score_key}{_SEPARATOR}{name}': np.asarray(value) for name, value in state.items()})
        unsaveable = sorted(name for name, value in entries.items() if value.dtype == object)
        if unsaveable:
            warnings.warn(f'Not caching the fitted scores: {unsaveable} are not plain arrays.')
            return
        partial = self.path + '.partial.npz'
        try:
            np.savez(partial, **entries)
            os.replace(partial, self.path)
        except OSError as error:  # e.g. a read-only checkpoint directory: the next evaluation refits
            warnings.warn(f'Could not write the score cache {self.path}: {error}')
