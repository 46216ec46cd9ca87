"""Does a checkpoint fit the model of a config? Which of its weights does a classifier take? Which classes was it
trained on?

Used by :mod:`~openmixosr.engine.checkpoint_loading` to load strictly, with an error that says what the checkpoint
is and what to do, instead of MMEngine's silent partial loading; and by the distiller and the tools to compare the
known classes recorded in checkpoints (``meta.dataset_meta.classes``), or to say that a checkpoint records none.
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model: missing, unexpected or differently shaped entries."""


class KnownClassesMismatchError(RuntimeError):
    """A checkpoint was trained on other known classes than the data it is used with."""


def select_weights(state_dict: Mapping[str, torch.Tensor], mapping: Mapping[str, str]) -> Dict[str, torch.Tensor]:
    """The entries of ``state_dict`` that ``mapping`` names, renamed: ``{new prefix: old prefix}``.

    The one way weights are taken out of a larger checkpoint: a model's ``evaluated_weights()`` (recorded in its
    checkpoints, :class:`~openmixosr.models.contracts.EvaluatedWeights`) applied to load its evaluated network into a
    classifier, ``load_cfg.prefix='student.'`` (``{'': 'student.'}``), and the ``prefix`` of ``SafePretrained``.

    Raises:
        CheckpointMismatchError: If the old prefixes select no entry at all (a part without weights, such as a pooling
            neck, selects none on its own).
    """
    selected = OrderedDict()
    for new, old in mapping.items():
        selected.update((new + key[len(old):], value) for key, value in state_dict.items() if key.startswith(old))
    if not selected:
        tops = sorted({key.split('.', 1)[0] for key in state_dict})
        raise CheckpointMismatchError(f'Prefix {", ".join(repr(old) for old in mapping.values())}: the checkpoint '
                                      f'has no entry starting with it; its top-level names are {tops}.')
    return selected


def classifier_weights_note(meta: Optional[Mapping], model_weights: Optional[Mapping[str, str]]) -> Optional[str]:
    """When a checkpoint's evaluated network should be taken out of it for ``model``, the sentence saying which.

    That is when the model is a plain classifier (its ``evaluated_weights()`` is its own weights) and the checkpoint
    records (``meta['evaluated_weights']``, written by OpenMixOSR's runner) that the network it evaluates lies
    elsewhere in it (a distiller's student, AutoMix's momentum network). None otherwise.
    """
    from openmixosr.models.contracts import OWN_WEIGHTS
    recorded = (meta or {}).get('evaluated_weights')
    if model_weights != OWN_WEIGHTS or not recorded or recorded == OWN_WEIGHTS:
        return None
    where = ', '.join(sorted(set(recorded.values())))
    return (f'The {(meta or {}).get("model_type", "model")} checkpoint gives the weights its run evaluates '
            f'({where}), as it records.')


def _summary(keys: Sequence[str], limit: int = 3) -> str:
    """Counts per top-level name and a few examples: ``'(student: 122, teacher: 320), e.g. student.backbone...'``."""
    counts: Dict[str, int] = {}
    for key in keys:
        top = key.split('.', 1)[0]
        counts[top] = counts.get(top, 0) + 1
    groups = ', '.join(f'{top}: {count}' for top, count in sorted(counts.items()))
    examples = ', '.join(sorted(keys, key=lambda key: ('num_batches_tracked' in key, 'running' in key, key))[:limit])
    return f'({groups}), e.g. {examples}'


def _writer_hint(meta: Optional[Mapping]) -> str:
    """What to do with a checkpoint that does not fit, from what it records about the model that wrote it."""
    meta = meta or {}
    model_type = meta.get('model_type')
    if model_type is None:
        return ('The checkpoint records no model (written by a plain state_dict save, MMEngine or an older '
                'OpenMixOSR): use the config it was trained with, or select its weights with `--cfg-options '
                "load_cfg.prefix='student.'` (or another prefix).")
    if meta.get('evaluated_weights') is None:
        return (f'It was written by {model_type}, which has no classifier to evaluate (self-supervised): evaluate '
                'it by linear evaluation (configs/selfsup/linear_eval/, `--cfg-options pretrained=CHECKPOINT`).')
    return (f'It was written by {model_type}: evaluate it with that config, or with a plain classifier config of '
            'the same backbone and head, which takes the weights the run evaluates.')


def state_dict_mismatch(model_state: Mapping[str, torch.Tensor],
                        state_dict: Mapping[str, torch.Tensor]) -> Tuple[List[str], List[str], List[str]]:
    """Entries the checkpoint lacks, entries the model lacks, and entries whose shapes differ.

    Returns:
        tuple[list[str], list[str], list[str]]: ``missing``, ``unexpected`` and ``mismatched`` (described with both
        shapes).
    """
    missing = [key for key in model_state if key not in state_dict]
    unexpected = [key for key in state_dict if key not in model_state]
    mismatched = [f'{key} (checkpoint {tuple(state_dict[key].shape)}, model {tuple(model_state[key].shape)})'
                  for key in model_state if key in state_dict and hasattr(state_dict[key], 'shape')
                  and tuple(state_dict[key].shape) != tuple(model_state[key].shape)]
    return missing, unexpected, mismatched


def check_state_dict(model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], filename: str,
                     meta: Optional[dict] = None, advice: Optional[str] = None) -> None:
    """Raise a :class:`CheckpointMismatchError` that explains how ``state_dict`` fails to fit ``model``.

    Args:
        model (nn.Module): The (unwrapped) model of the config.
        state_dict (Mapping[str, Tensor]): The checkpoint's state dict, prefixes already handled.
        filename (str): The checkpoint's path, for the message.
        meta (dict, optional): The checkpoint's ``meta`` (its ``experiment_name`` names the run that wrote it).
        advice (str, optional): What to do, for a checkpoint loaded into a part of a model when it is built (a
            teacher, a frozen Mix Block). Defaults to the advice for a tool's checkpoint (the config it was trained
            with, ``load_cfg.prefix``, ``--no-strict``).

    Raises:
        CheckpointMismatchError: If an entry is missing, unexpected or of another shape.
    """
    model_state = model.state_dict()
    missing, unexpected, mismatched = state_dict_mismatch(model_state, state_dict)
    if not (missing or unexpected or mismatched):
        return
    lines = [f'Checkpoint {filename} does not fit the model of this config ({type(model).__name__}):']
    if missing:
        lines.append(f'- {len(missing)} of the model\'s {len(model_state)} entries are missing from the checkpoint '
                     f'(they would keep their initial values) {_summary(missing)}')
    if unexpected:
        lines.append(f'- {len(unexpected)} checkpoint entries have no place in the model {_summary(unexpected)}')
    if mismatched:
        shown = '; '.join(mismatched[:3]) + ('; ...' if len(mismatched) > 3 else '')
        lines.append(f'- {len(mismatched)} entries differ in shape: {shown}')
    written_by = (meta or {}).get('experiment_name')
    if advice is not None:
        lines.append(advice)
    elif (meta or {}).get('model_type') == type(model).__name__:
        lines.append('The checkpoint was written by the same kind of model: another backbone, width or number of '
                     'classes? Use the config it was trained with.')
    else:
        lines.append(_writer_hint(meta))
    if written_by:
        lines.append(f'It was written by the run {written_by} (config name and start time).')
    if advice is None:
        lines.append('To load it anyway (partially; missing entries keep their initial values), pass --no-strict to '
                     'tools/test.py or `--cfg-options load_cfg.strict=False`.')
    raise CheckpointMismatchError('\n'.join(lines))


def known_classes(dataset_meta: Optional[Mapping]) -> Optional[Tuple[str, ...]]:
    """The known classes recorded in a dataset's metainfo or a checkpoint's ``meta.dataset_meta`` (None if absent)."""
    if not dataset_meta or dataset_meta.get('classes') is None:
        return None
    return tuple(str(name) for name in dataset_meta['classes'])


def known_classes_mismatch(found: Optional[Mapping], expected: Optional[Mapping], what: str,
                           where: str) -> Optional[str]:
    """Describe how the known classes of a checkpoint differ from those of the data it is used with.

    Args:
        found (Mapping, optional): The checkpoint's ``meta.dataset_meta``.
        expected (Mapping, optional): The metainfo of the dataset it is used with.
        what (str): The checkpoint, e.g. ``'Teacher checkpoint work_dirs/x/epoch_30.pth'``.
        where (str): The data, e.g. ``'the training set of this config'``.

    Returns:
        str | None: None when both record the same classes in the same order, or when either records none.
    """
    found_classes, expected_classes = known_classes(found), known_classes(expected)
    if found_classes is None or expected_classes is None or found_classes == expected_classes:
        return None
    if sorted(found_classes) == sorted(expected_classes):
        detail = 'the same classes in another label order'
    else:
        detail = f'{len(set(found_classes) - set(expected_classes))} of its {len(found_classes)} known classes differ'
    return (f'{what} was trained on the known classes {list(found_classes)}, but {where} has '
            f'{list(expected_classes)} ({detail}): label i does not mean the same class. Another open-set split '
            f'(`--cfg-options split=N`)?')


def unverified_classes_note(found: Optional[Mapping], expected: Optional[Mapping], what: str,
                            where: str) -> Optional[str]:
    """Say that a checkpoint's known classes cannot be checked because it records none (a plain ``state_dict``).

    Args:
        found (Mapping, optional): The checkpoint's ``meta.dataset_meta``.
        expected (Mapping, optional): The metainfo of the data it is used with.
        what (str): The checkpoint, e.g. ``'Checkpoint model.pth'``.
        where (str): The data, e.g. ``'the test set of this config'``.

    Returns:
        str | None: The sentence when the checkpoint records no classes and the data does; None otherwise (then
        :func:`known_classes_mismatch` compares them).
    """
    expected_classes = known_classes(expected)
    if known_classes(found) is not None or expected_classes is None:
        return None
    benchmark = (expected or {}).get('benchmark')
    split = f'{benchmark} split {expected.get("osr_split")}, ' if benchmark else ''
    shown = list(expected_classes[:10]) + (['...'] if len(expected_classes) > 10 else [])
    return (f'{what} records no known classes (no meta.dataset_meta, e.g. a plain torch.save(model.state_dict())): '
            f'nothing checks that it was trained on those of {where} ({split}{len(expected_classes)} classes '
            f'{shown}). If it was trained on other classes (another split), label i means another class and every '
            'number computed with it is wrong. Use a checkpoint written by tools/train.py, which records its classes.')
