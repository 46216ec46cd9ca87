"""Does a checkpoint fit the model of a config? What kind of checkpoint is it? Which classes was it trained on?

Used by :mod:`~openmixosr.engine.checkpoint_loading` to load strictly, with an error that says what the checkpoint
is and what to do, instead of MMEngine's silent partial loading; and by the distiller and the tools to compare the
known classes recorded in checkpoints (``meta.dataset_meta.classes``), or to say that a checkpoint records none.
"""
import ast
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model: missing, unexpected or differently shaped entries."""


class KnownClassesMismatchError(RuntimeError):
    """A checkpoint was trained on other known classes than the data it is used with."""


def _prefixes(keys) -> set:
    return {key.split('.', 1)[0] for key in keys}


def checkpoint_kind(keys) -> Optional[str]:
    """Recognise the algorithm that wrote a state dict from its keys.

    Args:
        keys (Iterable[str]): The state dict's keys.

    Returns:
        str | None: ``'AsymmetricDistiller'``, ``'AutoMix'`` (AutoMix / AMix, supervised), ``'self-supervised'``
        (MoCo v2, AMix-I, AMix-C), ``'classifier'`` (backbone + head) or None.
    """
    keys = list(keys)
    top = _prefixes(keys)
    if {'student', 'teacher'} <= top:
        return 'AsymmetricDistiller'
    if 'queue' in top and ('encoder_k' in top or 'momentum_encoder' in top):
        return 'self-supervised'
    if 'mixer' in top and any(key.startswith('momentum_encoder.module.') for key in keys):
        return 'AutoMix'
    if {'backbone', 'head'} <= top:
        return 'classifier'
    return None


def config_value(cfg_text: Optional[str], name: str) -> Optional[object]:
    """The last literal value given to keyword or key ``name`` in a config dump, read without running it.

    Checkpoints carry the config of their run as text (``meta.cfg``). Executing that text would run whatever a
    checkpoint contains, so it is only parsed (:func:`ast.parse`) and literal values are read.

    Args:
        cfg_text (str, optional): ``checkpoint['meta']['cfg']``.
        name (str): e.g. ``'eval_network'``.

    Returns:
        The value, or None when the text is missing, unparsable or does not set ``name`` to a literal.
    """
    if not cfg_text:
        return None
    try:
        tree = ast.parse(cfg_text)
    except SyntaxError:
        return None
    value = None
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == name and isinstance(node.value, ast.Constant):
            value = node.value.value
        elif isinstance(node, ast.Dict):
            for key, item in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == name and isinstance(item, ast.Constant):
                    value = item.value
    return value


def _suffixes(keys, prefix: str) -> set:
    return {key[len(prefix):] for key in keys if key.startswith(prefix)}


def automix_to_classifier(state_dict: Mapping[str, torch.Tensor],
                          cfg_text: Optional[str] = None) -> Tuple[Dict[str, torch.Tensor], str]:
    """The network an AutoMix / AMix checkpoint evaluates, as the state dict of a plain classifier.

    AutoMix validates and tests its momentum network ``k`` (``momentum_encoder.module``, the default
    ``eval_network='momentum'``) or its online network ``q`` (``backbone.`` / ``neck.`` / ``head.``,
    ``eval_network='online'``), as its config says. ``k`` is an ``nn.Sequential`` of the online network's parts, so
    its entries ``momentum_encoder.module.{i}.*`` are matched to the part (``backbone``, ``neck``, ``head``) with the
    same entry names.

    Args:
        state_dict (Mapping[str, Tensor]): The AutoMix checkpoint's state dict.
        cfg_text (str, optional): The checkpoint's config dump (``meta.cfg``), for ``eval_network``.

    Returns:
        tuple[dict, str]: The classifier state dict and a sentence saying which network it is.

    Raises:
        ValueError: If the parts of ``k`` cannot be matched to those of ``q``.
    """
    eval_network = config_value(cfg_text, 'eval_network') or 'momentum'
    parts = sorted(prefix for prefix in _prefixes(state_dict) if prefix in ('backbone', 'neck', 'head'))
    if eval_network == 'online':
        selected = OrderedDict((key, value) for key, value in state_dict.items() if key.split('.', 1)[0] in parts)
        return selected, ('AutoMix / AMix checkpoint: evaluating its online network q (backbone/neck/head), as its '
                          "config says (eval_network='online').")
    indices = sorted({int(key.split('.')[2]) for key in state_dict if key.startswith('momentum_encoder.module.')})
    rename = {}
    for index in indices:
        k_names = _suffixes(state_dict, f'momentum_encoder.module.{index}.')
        matches = [part for part in parts if _suffixes(state_dict, f'{part}.') == k_names]
        if len(matches) != 1:
            raise ValueError(f'momentum_encoder.module.{index} matches {matches or "no part"} of the online network')
        rename[f'momentum_encoder.module.{index}.'] = f'{matches[0]}.'
    selected = OrderedDict()
    for key, value in state_dict.items():
        for old, new in rename.items():
            if key.startswith(old):
                selected[new + key[len(old):]] = value
    return selected, ('AutoMix / AMix checkpoint: evaluating its momentum network k (momentum_encoder.module), the '
                      "network its own config validates and tests (eval_network='momentum').")


def select_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    """The entries under ``prefix`` (e.g. ``'student.'``), with the prefix removed.

    Raises:
        CheckpointMismatchError: If no entry starts with ``prefix``.
    """
    selected = OrderedDict((key[len(prefix):], value) for key, value in state_dict.items() if key.startswith(prefix))
    if not selected:
        raise CheckpointMismatchError(f'Prefix {prefix!r}: the checkpoint has no entry starting with it; its '
                                      f'top-level names are {sorted(_prefixes(state_dict))}.')
    return selected


def _summary(keys: Sequence[str], limit: int = 3) -> str:
    """Counts per top-level name and a few examples: ``'(student: 122, teacher: 320), e.g. student.backbone...'``."""
    counts: Dict[str, int] = {}
    for key in keys:
        top = key.split('.', 1)[0]
        counts[top] = counts.get(top, 0) + 1
    groups = ', '.join(f'{top}: {count}' for top, count in sorted(counts.items()))
    examples = ', '.join(sorted(keys, key=lambda key: ('num_batches_tracked' in key, 'running' in key, key))[:limit])
    return f'({groups}), e.g. {examples}'


def _kind_hint(kind: Optional[str], model_kind: Optional[str]) -> str:
    """What to do with a checkpoint of ``kind`` loaded into a model of ``model_kind``."""
    if kind == model_kind or kind is None:
        return ''
    if kind == 'AsymmetricDistiller':
        return ('It is an AsymmetricDistiller checkpoint (entries under student. and teacher.): evaluate it with its '
                'distillation config (configs/asym/...), which reports the student (`--cfg-options '
                'model.eval_network=teacher` for the teacher), or evaluate its student with this config: '
                '`--cfg-options load_cfg.prefix=student.`.')
    if kind == 'AutoMix':
        return ('It is an AutoMix / AMix checkpoint (mixer., momentum_encoder.): evaluate it with its own config, '
                'or with a classifier config of the same backbone and head (which then gets the network the AutoMix '
                'config evaluates).')
    if kind == 'self-supervised':
        return ('It is a self-supervised checkpoint (MoCo v2 / AMix-I / AMix-C: queue, encoder_k): it has no '
                'classifier; evaluate it by linear evaluation (configs/selfsup/linear_eval/, '
                '`--cfg-options pretrained=CHECKPOINT`).')
    if kind == 'classifier':
        return 'It is a plain classifier checkpoint (backbone., head.): evaluate it with a classifier config.'
    return ''


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
                     meta: Optional[dict] = None) -> None:
    """Raise a :class:`CheckpointMismatchError` that explains how ``state_dict`` fails to fit ``model``.

    Args:
        model (nn.Module): The (unwrapped) model of the config.
        state_dict (Mapping[str, Tensor]): The checkpoint's state dict, prefixes already handled.
        filename (str): The checkpoint's path, for the message.
        meta (dict, optional): The checkpoint's ``meta`` (its ``experiment_name`` names the run that wrote it).

    Raises:
        CheckpointMismatchError: If an entry is missing, unexpected or of another shape.
    """
    model_state = model.state_dict()
    missing, unexpected, mismatched = state_dict_mismatch(model_state, state_dict)
    if not (missing or unexpected or mismatched):
        return
    kind = checkpoint_kind(state_dict)
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
    hint = _kind_hint(kind, checkpoint_kind(model_state))
    if hint:
        lines.append(hint)
    else:
        what = f'a {kind} checkpoint' if kind else 'of an unrecognised kind'
        lines.append(f'The checkpoint is {what}: another backbone, width or number of classes? Use the config it '
                     f'was trained with.')
    if written_by:
        lines.append(f'It was written by the run {written_by} (config name and start time).')
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
