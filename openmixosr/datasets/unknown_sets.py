"""Named unknown sets of an open-set test set (the SSB's ``'easy'`` and ``'hard'``): resolving and checking them.

A test set with named unknown sets marks every sample with the data-info field ``unknown_set``: ``''`` for a known
sample, the set's name for an unknown one, so that an evaluator can score each set against the known samples. The
pipeline's ``PackInputs`` must copy the field into the data samples (``algorithm_keys=('unknown_set',)``).
"""
import numbers
from typing import Dict, List, Mapping, Optional, Sequence, Union

from mmpretrain.datasets.transforms import PackInputs

from .splits import get_unknown_sets

UNKNOWN_SET_KEY = 'unknown_set'  # data-info / data-sample field naming the unknown set of a sample
KNOWN_SET_NAME = ''  # its value for known samples
PACK_UNKNOWN_SET = "dict(type='PackInputs', algorithm_keys=('unknown_set',))"
SHOWN = 5  # how many offending classes an error lists

ClassId = Union[int, str]


def resolve_unknown_sets(unknown_sets, benchmark: Optional[str]) -> Dict[str, List[ClassId]]:
    """Turn the ``unknown_sets`` argument of :class:`OpenSetDataset` into ``{name: [classes]}``.

    Args:
        unknown_sets (Sequence[str] | Mapping[str, Sequence[int | str]]): Names of the benchmark's named sets (e.g.
            ``('easy', 'hard')``, see :func:`~openmixosr.datasets.splits.get_unknown_sets`), or explicit sets
            ``{name: [class index or class name, ...]}``.
        benchmark (str, optional): The dataset's benchmark; needed when sets are given by name.

    Returns:
        dict[str, list[int | str]]: The sets in the given order, each a new list.
    """
    if isinstance(unknown_sets, str):
        raise ValueError(f'`unknown_sets` must be a sequence of set names, e.g. ({unknown_sets!r},), or a dict '
                         f'{{name: [classes]}}; got the string {unknown_sets!r}.')
    if isinstance(unknown_sets, Mapping):
        sets = {name: classes for name, classes in unknown_sets.items()}
    else:
        names = list(unknown_sets)
        if benchmark is None:
            raise ValueError(f'`unknown_sets={tuple(names)!r}` names sets of a benchmark, but no `benchmark` is given; '
                             'set `benchmark` (e.g. \'ssb_cub\') or pass explicit sets {name: [classes]}.')
        published = get_unknown_sets(benchmark)
        bad = [name for name in names if name not in published]
        if bad:
            raise ValueError(f'{bad} are not unknown sets of benchmark {benchmark!r}; its sets are '
                             f'{list(published)}.')
        if len(set(names)) != len(names):
            raise ValueError(f'`unknown_sets` names a set twice: {names}')
        sets = {name: published[name] for name in names}
    if not sets:
        raise ValueError('`unknown_sets` is empty; leave it None for a dataset without named unknown sets.')
    for name, classes in sets.items():
        if not isinstance(name, str) or name == KNOWN_SET_NAME:
            raise ValueError(f'Unknown set names must be non-empty strings ({KNOWN_SET_NAME!r} marks known samples), '
                             f'got {name!r}.')
        if isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence) or not classes:
            raise ValueError(f'Unknown set {name!r} must be a non-empty list of class indices or names, '
                             f'got {classes!r:.80}.')
        bad = [c for c in classes if isinstance(c, bool) or not isinstance(c, (numbers.Integral, str))]
        if bad:
            raise ValueError(f'Unknown set {name!r}: classes are indices (int) or class names (str), '
                             f'got {bad[:SHOWN]}.')
    return {name: [c if isinstance(c, str) else int(c) for c in classes] for name, classes in sets.items()}


def class_indices(classes: Sequence[ClassId], names: Optional[Sequence[str]], num_classes: Optional[int],
                  what: str, source: str) -> List[int]:
    """Indices of ``classes`` (indices or names) among the classes of a source.

    Args:
        classes (Sequence[int | str]): Class indices, or names looked up in ``names``.
        names (Sequence[str], optional): The source's class names (``metainfo['classes']``); None if it has none.
        num_classes (int, optional): The source's number of classes, to check indices; None when not known.
        what (str): What lists the classes, for messages, e.g. ``"unknown set 'easy'"``.
        source (str): The source's type, for messages.

    Returns:
        list[int]: One index per entry, in order.
    """
    position = {} if names is None else {str(name): index for index, name in enumerate(names)}
    missing = [c for c in classes if isinstance(c, str) and c not in position]
    if missing:
        known_names = 'declares no class names' if names is None else f'has {len(position)} classes'
        raise ValueError(f'{len(missing)} classes of {what} are not class names of {source}, which {known_names}: '
                         f'{missing[:SHOWN]}. Is the right source given (ImageNet-21K wnids need '
                         "`unknown_source=dict(type='ImageNet21KFolder', data_root=...)`)?")
    indices = [position[c] if isinstance(c, str) else int(c) for c in classes]
    if num_classes is not None:
        bad = [c for c in indices if not 0 <= c < num_classes]
        if bad:
            raise ValueError(f'{what}: class indices {bad[:SHOWN]} out of range for {source} with {num_classes} '
                             'classes.')
    return indices


def needed_wnids(unknown_sets: Mapping[str, Sequence[ClassId]]) -> Optional[List[str]]:
    """The sorted union of the classes of all sets when every class is given by name (e.g. wnids), else None.

    Args:
        unknown_sets (Mapping[str, Sequence[int | str]]): Resolved sets.

    Returns:
        list[str] | None: What an ``unknown_source`` with a ``wnids`` argument must read; None when some class is an
        index (indices count the source's own classes, so all of them must be read).
    """
    classes = [c for members in unknown_sets.values() for c in members]
    if not all(isinstance(c, str) for c in classes):
        return None
    return sorted(set(classes))


def check_packs_unknown_set(transforms: Sequence) -> None:
    """Refuse a pipeline whose ``PackInputs`` would drop the ``unknown_set`` field.

    mmpretrain's ``PackInputs`` copies only the keys listed in ``algorithm_keys`` (besides labels) into the data
    sample (``data_sample.set_field(results[key], key)``). A pipeline without ``PackInputs`` is accepted: its output
    keeps the data-info field.

    Args:
        transforms (Sequence): The built pipeline transforms.

    Raises:
        ValueError: Naming the line to write.
    """
    for transform in transforms:
        if not isinstance(transform, PackInputs):
            continue
        keys = transform.algorithm_keys
        if isinstance(keys, str):
            raise ValueError(f'PackInputs algorithm_keys={keys!r} is a string, not a tuple (a missing comma?); write '
                             f'{PACK_UNKNOWN_SET}.')
        if UNKNOWN_SET_KEY not in keys:
            raise ValueError(f'This dataset has named unknown sets, but its PackInputs (algorithm_keys={tuple(keys)}) '
                             f'drops their field {UNKNOWN_SET_KEY!r}, so the evaluator could not tell the sets apart. '
                             f'Write {PACK_UNKNOWN_SET} in the pipeline.')
