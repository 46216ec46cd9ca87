"""Published open-set class splits, copied verbatim so results stay comparable with the literature.

Two kinds of benchmark (docs/datasets.md, Method reference):

- The OSR benchmark of Neal et al. 2018 (``'mnist'``, ``'svhn'``, ``'cifar10'``, ``'cifar+10'``, ``'cifar+50'``,
  ``'tiny_imagenet'``): five splits each. A split lists the *known* classes by their index in the closed-set dataset;
  the known labels are remapped to their position in that list (split ``[2, 4, ...]`` maps 2 -> 0, 4 -> 1, ...). Every
  other class of the same dataset is unknown, except for CIFAR+N, whose known classes come from CIFAR-10 and whose
  unknown classes are the listed CIFAR-100 test classes.
- Benchmarks with *named* unknown sets (``'ssb_cub'``, ``'ssb_scars'``, ``'ssb_aircraft'``, ``'in21k_ssb'``): the
  Semantic Shift Benchmark of Vaze et al. 2022, one published split each, read from the JSON files shipped in
  ``ssb_splits/``. Their unknown classes form an ``'easy'`` and a ``'hard'`` set (:func:`get_unknown_sets`; the
  published 'Medium' classes are merged into 'Hard', as the benchmark reports them). ``'in21k_ssb'`` is the large-scale
  benchmark: every class of the source (Tiny-ImageNet) is known, the unknown sets are ImageNet-21K WordNet ids.
"""
import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Dict, List, Optional, Sequence, Tuple, Union

NUM_SPLITS = 5

MNIST_KNOWN = (
    (2, 4, 5, 9, 8, 3),
    (3, 2, 6, 9, 4, 0),
    (5, 8, 3, 2, 4, 6),
    (3, 7, 8, 4, 0, 5),
    (6, 3, 4, 9, 8, 2),
)

SVHN_KNOWN = (
    (5, 3, 7, 2, 8, 6),
    (3, 8, 7, 6, 2, 5),
    (8, 9, 4, 7, 2, 1),
    (3, 8, 2, 5, 0, 6),
    (4, 9, 2, 7, 1, 0),
)

CIFAR10_KNOWN = (
    (0, 6, 4, 9, 1, 7),
    (7, 6, 4, 9, 0, 1),
    (1, 5, 7, 3, 9, 4),
    (8, 6, 1, 9, 0, 7),
    (2, 4, 1, 7, 9, 6),
)

# CIFAR+10 and CIFAR+50 share their known CIFAR-10 classes.
CIFAR_PLUS_KNOWN = (
    (4, 7, 9, 1),
    (6, 7, 1, 9),
    (9, 6, 1, 7),
    (6, 4, 9, 1),
    (1, 0, 9, 8),
)

# Unknown classes of CIFAR+N are indices into the CIFAR-100 (fine label) test set.
CIFAR_PLUS10_UNKNOWN = (
    (30, 25, 1, 9, 8, 0, 46, 52, 49, 71),
    (41, 9, 49, 40, 73, 60, 48, 30, 95, 71),
    (8, 9, 49, 40, 73, 60, 48, 95, 30, 71),
    (95, 60, 30, 73, 46, 49, 68, 99, 8, 71),
    (33, 2, 3, 97, 46, 21, 64, 63, 88, 43),
)

CIFAR_PLUS50_UNKNOWN = (
    (27, 94, 29, 77, 88, 26, 69, 48, 75, 5, 59, 93, 39, 57, 45, 40, 78, 20, 98, 47, 66, 70, 91, 76, 41, 83, 99, 32, 53,
     72, 2, 95, 21, 73, 84, 68, 35, 11, 55, 60, 30, 25, 1, 9, 8, 0, 46, 52, 49, 71),
    (65, 97, 86, 24, 45, 67, 2, 3, 91, 98, 79, 29, 62, 82, 33, 76, 0, 35, 5, 16, 54, 11, 99, 52, 85, 1, 25, 66, 28, 84,
     23, 56, 75, 46, 21, 72, 55, 68, 8, 69, 41, 9, 49, 40, 73, 60, 48, 30, 95, 71),
    (20, 83, 65, 97, 94, 2, 93, 16, 67, 29, 62, 33, 24, 98, 5, 86, 35, 54, 0, 91, 52, 66, 85, 84, 56, 11, 1, 76, 25, 55,
     21, 99, 72, 41, 23, 75, 28, 68, 69, 46, 8, 9, 49, 40, 73, 60, 48, 95, 30, 71),
    (92, 82, 77, 64, 5, 33, 62, 56, 70, 0, 20, 28, 67, 14, 84, 53, 91, 29, 85, 2, 52, 83, 75, 35, 11, 21, 72, 98, 55, 1,
     41, 76, 25, 66, 69, 9, 48, 54, 40, 23, 95, 60, 30, 73, 46, 49, 68, 99, 8, 71),
    (47, 6, 19, 0, 62, 93, 59, 65, 54, 70, 34, 55, 23, 38, 72, 76, 53, 31, 78, 96, 77, 27, 92, 18, 82, 50, 98, 32, 1,
     75, 83, 4, 51, 35, 80, 11, 74, 66, 36, 42, 33, 2, 3, 97, 46, 21, 64, 63, 88, 43),
)

# Indices into the sorted list of the 200 Tiny-ImageNet wnids (the sorted folder names of ``train/``).
TINY_IMAGENET_KNOWN = (
    (108, 147, 17, 58, 193, 123, 72, 144, 75, 167, 134, 14, 81, 171, 44, 197, 152, 66, 1, 133),
    (198, 161, 91, 59, 57, 134, 61, 184, 90, 35, 29, 23, 199, 38, 133, 19, 186, 18, 85, 67),
    (177, 0, 119, 26, 78, 80, 191, 46, 134, 92, 31, 152, 27, 60, 114, 50, 51, 133, 162, 93),
    (98, 36, 158, 177, 189, 157, 170, 191, 82, 196, 138, 166, 43, 13, 152, 11, 75, 174, 193, 190),
    (95, 6, 145, 153, 0, 143, 31, 23, 189, 81, 20, 21, 89, 26, 36, 170, 102, 177, 108, 169),
)

# benchmark name -> (known-class table, unknown-class table or None when unknown = the rest of the same dataset)
_BENCHMARKS = {
    'mnist': (MNIST_KNOWN, None),
    'svhn': (SVHN_KNOWN, None),
    'cifar10': (CIFAR10_KNOWN, None),
    'cifar+10': (CIFAR_PLUS_KNOWN, CIFAR_PLUS10_UNKNOWN),
    'cifar+50': (CIFAR_PLUS_KNOWN, CIFAR_PLUS50_UNKNOWN),
    'tiny_imagenet': (TINY_IMAGENET_KNOWN, None),
}

SSB_SPLITS_DIR = 'ssb_splits'  # package data next to this module


@dataclass(frozen=True)
class NamedSetTable:
    """A benchmark with one published split and named unknown sets, read from ``ssb_splits/{file}``.

    Attributes:
        file (str): JSON file ``{"known_classes": [...], "unknown_classes": {"Easy": [...], "Medium": [...],
            "Hard": [...]}}``.
        dataset (str): What the class ids index, for error messages.
        num_classes (int, optional): Number of classes the known source must have; None when not fixed.
        known_from_table (bool): The known classes are the table's list; False: every class of the source is known
            and the table's known list (ImageNet-1K for ``'in21k_ssb'``) is not used.
    """

    file: str
    dataset: str
    num_classes: Optional[int]
    known_from_table: bool = True


_NAMED_SET_BENCHMARKS = {
    'ssb_cub': NamedSetTable('cub_ssb_splits.json', 'CUB-200-2011 (class id of image_class_labels.txt minus 1)', 200),
    'ssb_scars': NamedSetTable('scars_ssb_splits.json', 'Stanford Cars (0-based line of names.csv)', 196),
    'ssb_aircraft': NamedSetTable('aircraft_ssb_splits.json', 'FGVC-Aircraft (index of the sorted variant names)', 100),
    'in21k_ssb': NamedSetTable('imagenet_ssb_splits.json', 'ImageNet-21K (WordNet ids)', None, known_from_table=False),
}

#: The benchmarks shipped with the package (:func:`register_benchmark` adds yours; :func:`benchmarks` lists all).
BENCHMARKS = tuple(_BENCHMARKS) + tuple(_NAMED_SET_BENCHMARKS)
NAMED_SET_BENCHMARKS = tuple(_NAMED_SET_BENCHMARKS)
UNKNOWN_SET_NAMES = ('easy', 'hard')  # the names of the sets of every named-set benchmark


@functools.lru_cache(maxsize=None)
def _read_table(file_name: str) -> dict:
    """The parsed JSON file ``ssb_splits/{file_name}`` shipped with the package (cached: do not modify it)."""
    return json.loads((resources.files(__package__) / SSB_SPLITS_DIR / file_name).read_text(encoding='utf-8'))


def benchmarks() -> Tuple[str, ...]:
    """Every benchmark :func:`get_open_set_split` knows: the shipped ones, then those registered since."""
    return tuple(_BENCHMARKS) + tuple(_NAMED_SET_BENCHMARKS)


def _class_table(splits, what: str) -> Tuple[Tuple[int, ...], ...]:
    table = tuple(tuple(split) for split in splits)
    if not table:
        raise ValueError(f'{what}: no split given.')
    for index, split in enumerate(table):
        if not split or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in split):
            raise ValueError(f'{what}, split {index}: expected class indices (int >= 0), got {split!r}.')
        if len(set(split)) != len(split):
            raise ValueError(f'{what}, split {index}: a class is listed twice: {split!r}.')
    return table


def register_benchmark(name: str, known: Sequence[Sequence[int]],
                       unknown: Optional[Sequence[Sequence[int]]] = None) -> None:
    """Make the published class splits of a benchmark of your own known to :class:`OpenSetDataset`
    (``benchmark=name``), to ``osr_split`` / ``--cfg-options split=K`` and to ``tools/benchmark_table.py``.

    Call it in a module your config imports (``custom_imports``), as a registry decorator would run there.

    Args:
        name (str): The benchmark's name (not one that exists).
        known (Sequence[Sequence[int]]): Per split, the known classes, indices into the known source's classes, in
            label order (the i-th becomes label i).
        unknown (Sequence[Sequence[int]], optional): Per split, the unknown classes, indices into the classes of
            the ``unknown_source`` (as CIFAR+N names CIFAR-100 classes); None when the unknown classes are the other
            classes of the same dataset. Defaults to None.

    Raises:
        ValueError: A taken name, no split, a split of something else than distinct class indices, a class both known
            and unknown in one split of the same dataset, or other counts of known and unknown splits.
    """
    if name in benchmarks():
        raise ValueError(f'The open-set benchmark {name!r} exists already; choose another name.')
    known_table = _class_table(known, f'benchmark {name!r}, known classes')
    unknown_table = None if unknown is None else _class_table(unknown, f'benchmark {name!r}, unknown classes')
    if unknown_table is not None and len(unknown_table) != len(known_table):
        raise ValueError(f'benchmark {name!r}: {len(known_table)} known splits but {len(unknown_table)} unknown ones.')
    _BENCHMARKS[name] = (known_table, unknown_table)


def _check_benchmark(benchmark: str) -> None:
    if benchmark not in benchmarks():
        raise ValueError(f'Unknown open-set benchmark {benchmark!r}; expected one of {", ".join(benchmarks())} '
                         '(a benchmark of your own: openmixosr.datasets.register_benchmark).')


def get_open_set_split(benchmark: str, index: int) -> Tuple[Optional[List[int]], Optional[List[int]]]:
    """Look up one published open-set split.

    Args:
        benchmark (str): One of :func:`benchmarks`: ``'mnist'``, ``'svhn'``, ``'cifar10'``, ``'cifar+10'``,
            ``'cifar+50'``, ``'tiny_imagenet'`` (five splits each), ``'ssb_cub'``, ``'ssb_scars'``,
            ``'ssb_aircraft'``, ``'in21k_ssb'`` (one split each), and the registered ones.
        index (int): Split index, 0 to 4; 0 for the benchmarks with one split; for a registered benchmark, below its
            number of splits.

    Returns:
        tuple[list[int] | None, list[int] | None]: The known classes (in label order: the i-th entry becomes label i;
        None for ``'in21k_ssb'``, whose known classes are all classes of the source) and the unknown classes. The
        unknown list is only given for CIFAR+N, where it names CIFAR-100 classes; it is None when the unknown classes
        are the other classes of the same dataset, or come in named sets (:func:`get_unknown_sets`).
    """
    _check_benchmark(benchmark)
    if benchmark in _NAMED_SET_BENCHMARKS:
        if isinstance(index, bool) or not isinstance(index, int) or index != 0:
            raise ValueError(f'{benchmark} has one published split: the open-set split index (osr_split) must be 0, '
                             f'got {index!r}.')
        table = _NAMED_SET_BENCHMARKS[benchmark]
        known = [int(c) for c in _read_table(table.file)['known_classes']] if table.known_from_table else None
        return known, None
    known_table, unknown_table = _BENCHMARKS[benchmark]
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(known_table):
        raise ValueError(f'The open-set split index of {benchmark} must be an integer in 0..{len(known_table) - 1}, '
                         f'got {index!r}.')
    unknown = None if unknown_table is None else list(unknown_table[index])
    return list(known_table[index]), unknown


def split_count(benchmark: str) -> int:
    """How many published splits a benchmark has (5 for the OSR benchmarks, 1 for the named-set ones)."""
    _check_benchmark(benchmark)
    return 1 if benchmark in _NAMED_SET_BENCHMARKS else len(_BENCHMARKS[benchmark][0])


def get_unknown_sets(benchmark: str) -> Dict[str, List[Union[int, str]]]:
    """The named unknown sets of a benchmark: ``{'easy': Easy, 'hard': Medium + Hard}`` of the published table.

    The Semantic Shift Benchmark reports an Easy and a Hard open-set test; its 'Medium' classes are merged into 'Hard'
    (Medium first, then Hard, in the published order).

    Args:
        benchmark (str): One of :data:`NAMED_SET_BENCHMARKS`.

    Returns:
        dict[str, list[int | str]]: Set name -> classes: indices into the source's classes (``'ssb_cub'``,
        ``'ssb_scars'``, ``'ssb_aircraft'``) or ImageNet-21K WordNet ids (``'in21k_ssb'``). A new dict each call.
    """
    _check_benchmark(benchmark)
    if benchmark not in _NAMED_SET_BENCHMARKS:
        raise ValueError(f'Benchmark {benchmark!r} has no named unknown sets; those with named sets are '
                         f'{", ".join(NAMED_SET_BENCHMARKS)}. Use `with_unknown` / `unknown_source` for it instead.')
    unknown = _read_table(_NAMED_SET_BENCHMARKS[benchmark].file)['unknown_classes']
    easy = list(unknown.get('Easy', []))
    hard = list(unknown.get('Medium', [])) + list(unknown.get('Hard', []))
    return dict(zip(UNKNOWN_SET_NAMES, (easy, hard)))


def required_num_classes(benchmark: str) -> Optional[int]:
    """How many classes the known source of ``benchmark`` must have (None when not fixed).

    The SSB tables index the classes of one dataset (CUB-200-2011: 200, Stanford Cars: 196, FGVC-Aircraft: 100); a
    source with another class count would silently shift every index, so :class:`OpenSetDataset` refuses it.

    Args:
        benchmark (str): One of :data:`BENCHMARKS`.

    Returns:
        int | None: The class count for the SSB benchmarks, None for the others.
    """
    _check_benchmark(benchmark)
    table = _NAMED_SET_BENCHMARKS.get(benchmark)
    return None if table is None else table.num_classes


def benchmark_dataset(benchmark: str) -> Optional[str]:
    """What the class ids of a named-set benchmark index (e.g. ``'CUB-200-2011 (class id ... minus 1)'``), else None.

    Args:
        benchmark (str): One of :data:`BENCHMARKS`.

    Returns:
        str | None: A description for error messages.
    """
    _check_benchmark(benchmark)
    table = _NAMED_SET_BENCHMARKS.get(benchmark)
    return None if table is None else table.dataset
