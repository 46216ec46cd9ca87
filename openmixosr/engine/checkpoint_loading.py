"""Loading a checkpoint into a model the one way OpenMixOSR does it: weights-only, as ``load_cfg`` says, checked.

:class:`~openmixosr.engine.runner.OpenMixOSRRunner` loads ``load_from``, ``--resume`` and the checkpoint of
``tools/test.py`` with :func:`load_checked_checkpoint`, and so does ``tools/analysis/visualize_mix.py``;
:func:`check_checkpoint_classes` compares the classes a checkpoint was trained on with those of the data it is used
on (the runner also for the checkpoints a model was built from, e.g. a distiller's teacher).
"""
import difflib
import logging
from typing import Callable, Mapping, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.runner import load_state_dict

from openmixosr.models.contracts import EvaluatedWeights
from openmixosr.utils.checkpoint_io import load_checkpoint_file, rename_old_keys, strip_revise_keys
from .checkpoint_compat import (KnownClassesMismatchError, check_state_dict, classifier_weights_note,
                                known_classes_mismatch, select_weights, unverified_classes_note)

#: ``load_cfg`` (a top-level config key): how checkpoints are loaded into the model (``load_from``, ``--resume``,
#: ``tools/test.py``, ``visualize_mix.py``).
LOAD_CFG_DEFAULTS = dict(strict=True, prefix=None, allow_other_classes=False)
#: MMEngine's default ``revise_keys``: drop the ``module.`` of a checkpoint saved from a wrapped model.
DEFAULT_REVISE_KEYS = ((r'^module\.', ''), )


def load_settings(cfg: Optional[dict]) -> dict:
    """``LOAD_CFG_DEFAULTS`` updated with the config's ``load_cfg``.

    Raises:
        ValueError: For a key ``load_cfg`` does not have.
    """
    settings = dict(LOAD_CFG_DEFAULTS)
    for key, value in dict(cfg or {}).items():
        if key not in settings:
            close = difflib.get_close_matches(key, settings, n=1)
            raise ValueError(f'load_cfg has no key {key!r}' + (f' (did you mean {close[0]!r}?)' if close else '') +
                             f'; its keys are {sorted(settings)}.')
        settings[key] = value
    return settings


def check_checkpoint_classes(found: Optional[Mapping], expected: Optional[Mapping], what: str, where: str, *,
                             allow_other_classes: bool, fine_tuning: bool = False, logger='current') -> Optional[str]:
    """Compare the known classes a checkpoint records with those of the data it is used on.

    Other classes (or another label order) are an error, unless ``allow_other_classes`` (``--allow-other-classes``)
    or ``fine_tuning`` (``load_from`` in training) make them a logged warning.

    Args:
        found (Mapping, optional): The checkpoint's ``meta.dataset_meta`` (None when it has none).
        expected (Mapping, optional): The metainfo of the data it is used on.
        what (str): The checkpoint, e.g. ``'Checkpoint work_dirs/x/epoch_30.pth'``.
        where (str): The data, e.g. ``'the test set of this config'``.
        allow_other_classes (bool): Warn instead of raising for other classes.
        fine_tuning (bool): The checkpoint only initialises a training run: warn instead of raising.
        logger: Where the warning goes. Defaults to ``'current'``.

    Returns:
        str | None: When the checkpoint records no known classes but the data does, the sentence saying that nothing
        could be checked (:func:`~openmixosr.engine.checkpoint_compat.unverified_classes_note`), for the caller to
        log and to mark its results with; otherwise None.

    Raises:
        KnownClassesMismatchError: Other classes, neither allowed nor fine-tuning.
    """
    message = known_classes_mismatch(found, expected, what, where)
    if message is None:
        return unverified_classes_note(found, expected, what, where)
    if fine_tuning:
        message += ' Loaded anyway (load_from in training: fine-tuning on other classes).'
    elif not allow_other_classes:
        raise KnownClassesMismatchError(f'{message} If this is on purpose, pass --allow-other-classes (`--cfg-options '
                                        f'load_cfg.allow_other_classes=True`).')
    print_log(message, logger=logger, level=logging.WARNING)
    return None


def load_checked_checkpoint(model: torch.nn.Module,
                            filename: str,
                            check_classes: Callable[[Optional[Mapping]], None],
                            strict: bool = True,
                            prefix: Union[str, Mapping[str, str], None] = None,
                            map_location='cpu',
                            revise_keys=DEFAULT_REVISE_KEYS,
                            after_read: Optional[Callable[[dict], None]] = None,
                            mismatch_advice: Optional[str] = None,
                            logger='current') -> dict:
    """Read a checkpoint weights-only and load it into ``model``, strictly and with its classes checked.

    1. The file is read by :func:`~openmixosr.utils.checkpoint_io.load_checkpoint_file` (``torch.load(
       weights_only=True)`` for a local file; a truncated one raises ``CorruptedCheckpointError``); ``after_read``
       sees the checkpoint (the runner's ``after_load_checkpoint`` hooks).
    2. Its state dict (``checkpoint['state_dict']``, or the checkpoint itself for a plain ``state_dict`` file) gets
       ``revise_keys`` and the renames of older checkpoints
       (:func:`~openmixosr.utils.checkpoint_io.rename_old_keys`: an AutoMix / AMix Mix Block at ``mix_block.`` goes to
<<<<<<< HEAD
       ``mixer.mix_block.``); with ``prefix`` only the entries under it are kept (a distiller's student); a checkpoint
       whose run evaluated a network inside it (``meta['evaluated_weights']``: a distiller's student, AutoMix's
       momentum network) loaded into a plain classifier gives that network (the log says which).
=======
       ``mixer.mix_block.``); with ``prefix`` only the entries under it are kept, renamed
       (:func:`~openmixosr.engine.checkpoint_compat.select_weights`: a distiller's student, a frozen Mix Block); a
       checkpoint whose run evaluated a network inside it (``meta['evaluated_weights']``: a distiller's student,
       AutoMix's momentum network) loaded into a plain classifier gives that network (the log says which).
>>>>>>> one-loader
    3. ``strict``: every entry must fit, else
       :class:`~openmixosr.engine.checkpoint_compat.CheckpointMismatchError` says what is missing, what the checkpoint
       is and what to do.
    4. ``check_classes(meta.dataset_meta)`` (None when the checkpoint records none) may refuse the checkpoint, e.g.
       with :func:`check_checkpoint_classes`, before anything is loaded.
    5. The weights are loaded (MMEngine's ``load_state_dict``).

    Args:
        model (nn.Module): The (unwrapped) model.
        filename (str): A local path or a URL.
        check_classes (Callable[[Mapping | None], None]): The caller's check of the checkpoint's ``dataset_meta``.
        strict (bool): See step 3. Defaults to True.
        prefix (str | Mapping[str, str], optional): See step 2: ``'student.'`` (the prefix is removed), or
            ``{new prefix: old prefix}`` for several parts. Defaults to None.
        map_location: Same as :func:`torch.load`. Defaults to ``'cpu'``.
        revise_keys (Sequence[tuple]): ``(pattern, replacement)`` applied to the keys. Defaults to dropping a leading
            ``module.``.
        after_read (Callable[[dict], None], optional): Called with the checkpoint once it is read.
        mismatch_advice (str, optional): What step 3's error advises, for a checkpoint loaded into a part of a model
            as it is built (a teacher, a frozen Mix Block). Defaults to the advice for a tool's checkpoint.
        logger: Where notes and MMEngine's report of a non-strict load go. Defaults to ``'current'``.

    Returns:
        dict: The checkpoint.
    """
    checkpoint = load_checkpoint_file(filename, map_location=map_location, logger=logger)
    if after_read is not None:
        after_read(checkpoint)
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    state_dict = rename_old_keys(strip_revise_keys(checkpoint.get('state_dict', checkpoint), revise_keys))
    if prefix:
        state_dict = select_weights(state_dict, {'': prefix} if isinstance(prefix, str) else prefix)
    else:
        note = classifier_weights_note(meta, model.evaluated_weights() if isinstance(model, EvaluatedWeights) else None)
        if note is not None:
            state_dict = select_weights(state_dict, meta['evaluated_weights'])
            print_log(note, logger=logger)
    if strict:
        check_state_dict(model, state_dict, filename, meta, advice=mismatch_advice)
    check_classes(meta.get('dataset_meta'))
    load_state_dict(model, state_dict, strict=strict, logger=logger)
    return checkpoint


def load_checkpoint_for_config(model: torch.nn.Module, filename: str, load_cfg: Optional[Mapping],
                               train_metainfo: Optional[Mapping], logger='current') -> dict:
    """Load a checkpoint outside the runner as ``tools/test.py`` loads it: :func:`load_checked_checkpoint` with the
    config's ``load_cfg`` (``strict``, ``prefix``, ``allow_other_classes``) and the known classes of the config's
    training set (other classes refused unless allowed; a checkpoint that records none loads with a warning).

    Args:
        model (nn.Module): The model built from the config.
        filename (str): The checkpoint.
        load_cfg (Mapping, optional): The config's ``load_cfg``.
        train_metainfo (Mapping, optional): The metainfo of the config's training set.
        logger: Where notes and warnings go. Defaults to ``'current'``.

    Returns:
        dict: The checkpoint.
    """
    settings = load_settings(load_cfg)

    def check_classes(dataset_meta: Optional[Mapping]) -> None:
        note = check_checkpoint_classes(dataset_meta, train_metainfo, f'Checkpoint {filename}',
                                        'the training set of this config',
                                        allow_other_classes=settings['allow_other_classes'], logger=logger)
        if note:
            print_log(note, logger=logger, level=logging.WARNING)

    return load_checked_checkpoint(model, filename, check_classes, strict=settings['strict'],
                                   prefix=settings['prefix'], logger=logger)
