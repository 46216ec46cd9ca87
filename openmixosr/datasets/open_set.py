"""The open-set view of a closed-set dataset: known classes relabelled 0..K-1, unknown samples labelled -1."""
import copy
import inspect
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Union

from mmpretrain.datasets import BaseDataset  # also fills mmpretrain's registries, the parents of ours

from openmixosr.registry import DATASETS, TRANSFORMS
from .layouts import DATA_LAYOUTS, MissingDataError, check_image_files, missing_data_error
from .source_dataset import SourceDataset
from .splits import benchmark_dataset, get_open_set_split, required_num_classes
from .unknown_sets import (KNOWN_SET_NAME, UNKNOWN_SET_KEY, check_packs_unknown_set, class_indices, needed_wnids,
                           resolve_unknown_sets)

UNKNOWN_LABEL = -1


def _check_class_list(classes, name: str, num_classes: Optional[int], source: str) -> List[int]:
    """Validate a list of class indices against a source with ``num_classes`` classes (None = not known)."""
    classes = [int(c) for c in classes]
    if len(set(classes)) != len(classes):
        raise ValueError(f'{name} has duplicated classes: {classes}')
    if num_classes is not None:
        bad = [c for c in classes if not 0 <= c < num_classes]
        if bad:
            raise ValueError(f'{name} {bad} out of range for {source} with {num_classes} classes')
    return classes


def _source_class(type_name):
    """The dataset class a source config's ``type`` names (OpenMixOSR's registry first, then mmpretrain's)."""
    cls = DATASETS.get(type_name) if isinstance(type_name, str) else type_name
    if cls is None:
        raise KeyError(f'Source dataset type {type_name!r} is not registered in OpenMixOSR or mmpretrain.')
    return cls


def build_source(cfg: dict):
    """Build a closed-set source dataset from our registry: no pipeline, never downloading.

    A :class:`FileNotFoundError` raised while loading a source that has an entry in
    :data:`~openmixosr.datasets.layouts.DATA_LAYOUTS` (e.g. mmpretrain's ``CUB`` missing ``images.txt``) becomes the
    error of :func:`~openmixosr.datasets.layouts.missing_data_error`, which shows the expected layout. Every image
    file the source lists must exist and not be empty (:func:`~openmixosr.datasets.layouts.check_image_files`).

    Args:
        cfg (dict): Dataset config, e.g. ``dict(type='OfflineCIFAR10', data_root='data/cifar10', split='test')``.
            ``type`` is looked up in OpenMixOSR's registry first, then in mmpretrain's.

    Returns:
        BaseDataset: The source, fully loaded.
    """
    cfg = copy.deepcopy(dict(cfg))
    type_name = cfg.pop('type')
    cls = _source_class(type_name)
    name = type_name.split('.')[-1] if isinstance(type_name, str) else cls.__name__
    if cfg.get('pipeline'):
        raise ValueError('Give the pipeline to OpenSetDataset, not to its source: the source only supplies samples.')
    cfg['pipeline'] = []
    # The open-set view copies the samples out, so the source need not pickle them first.
    cfg.setdefault('serialize_data', False)

    data_root = cfg.get('data_root')
    if data_root and not osp.isdir(data_root):
        raise missing_data_error(name, data_root)
    forced_offline = 'download' in inspect.signature(cls.__init__).parameters
    if forced_offline:
        if cfg.get('download'):
            raise ValueError(f'{name}: download=True is not supported; OpenMixOSR never downloads data.')
        cfg['download'] = False
    try:
        source = cls(**cfg)
    except MissingDataError:
        raise
    except FileNotFoundError as err:
        if name in DATA_LAYOUTS:
            raise missing_data_error(name, data_root or '', reason=str(err)) from err
        raise
    except RuntimeError as err:
        # mmpretrain's downloadable datasets report missing files as RuntimeError suggesting download=True.
        if forced_offline:
            raise missing_data_error(name, data_root or '', reason=str(err)) from err
        raise
    if not isinstance(source, SourceDataset):  # a SourceDataset checks its own files when it loads them
        check_image_files(_listed_data_infos(source), name)
    return source


def _listed_data_infos(source) -> List[dict]:
    """The data infos of a source as loaded (its ``data_list``, or copies when it serialised them)."""
    if not source.serialize_data:
        return source.data_list
    return [source.get_data_info(index) for index in range(len(source))]


def _data_infos(dataset) -> List[dict]:
    """All data infos of a dataset, as independent dicts without the per-dataset ``sample_idx``."""
    infos = []
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        info.pop('sample_idx', None)
        infos.append(info)
    return infos


def _num_classes(dataset) -> Optional[int]:
    classes = dataset.metainfo.get('classes')
    return None if classes is None else len(classes)


@DATASETS.register_module()
class OpenSetDataset(BaseDataset):
    """Open-set view of closed-set data: known classes are relabelled 0..K-1 in split order, unknown samples get -1.

    The known classes come from a published split (``benchmark`` + ``osr_split``, see
    :func:`openmixosr.datasets.splits.get_open_set_split`) or from ``known_classes``; with neither, or with
    ``benchmark='in21k_ssb'``, all classes of ``source`` are known (an out-of-distribution pair such as CIFAR-10 vs
    CIFAR-100, or Tiny-ImageNet vs ImageNet-21K). Known class ``known[i]`` becomes label ``i`` (split ``[2, 4, ...]``
    maps 2 -> 0, 4 -> 1). Unknown samples, labelled ``-1``, come from

    - the source's samples of the other classes, when ``with_unknown=True`` (the usual test set), and/or
    - every sample of ``unknown_source`` whose class is in ``unknown_classes`` (all classes when None). For
      ``cifar+10`` / ``cifar+50`` ``unknown_classes`` is the published CIFAR-100 list and the source's other CIFAR-10
      classes must stay out, so ``with_unknown=True`` is refused there; or
    - the classes of named ``unknown_sets`` (the Semantic Shift Benchmark's ``'easy'`` / ``'hard'``), taken from
      ``unknown_source`` when given, else from ``source`` itself (the SSB test split). Every sample then has the
      data-info field ``unknown_set``: ``''`` when known, else the name of its set; the pipeline's ``PackInputs`` must
      list it: ``dict(type='PackInputs', algorithm_keys=('unknown_set',))``. When ``unknown_source``'s class has a
      ``wnids`` argument (:class:`ImageNet21KFolder`) and the config leaves it out, it gets the sorted union of the
      sets' classes if they are all given by name, so that only those folders are read.

    A training set keeps the defaults (no unknowns). The sources are built from OpenMixOSR's registry without a
    pipeline and never download (``download=False`` is forced where the class has that argument); missing files raise
    :class:`FileNotFoundError` with the expected layout. The SSB benchmarks index one dataset's classes, so a source
    with another number of classes is refused. The metainfo holds ``classes`` (the names of the known classes in label
    order), ``known_classes`` (their source indices, in label order), ``benchmark``, ``osr_split`` and
    ``unknown_sets`` (the set names, ``()`` when none); a checkpoint's ``meta.dataset_meta`` records them. All sources
    should give images the same way (``img`` arrays or ``img_path`` files) because one pipeline processes them all.

    Args:
        source (dict): Config of the closed-set dataset, e.g. ``dict(type='OfflineCIFAR10', data_root='data/cifar10',
            split='test')``.
        benchmark (str, optional): Published split table: ``'mnist'``, ``'svhn'``, ``'cifar10'``, ``'cifar+10'``,
            ``'cifar+50'``, ``'tiny_imagenet'``, ``'ssb_cub'``, ``'ssb_scars'``, ``'ssb_aircraft'`` or
            ``'in21k_ssb'``. Defaults to None.
        osr_split (int): Index 0..4 of the published split (0 for the SSB benchmarks, which have one); needs
            ``benchmark``. Configs pass their top-level ``split`` here. Defaults to 0.
        known_classes (Sequence[int], optional): Explicit known classes of ``source`` in label order; exclusive with
            ``benchmark``. Defaults to None (all classes, when there is no benchmark either).
        with_unknown (bool): Keep the source's samples of non-known classes, labelled -1. Defaults to False.
        unknown_source (dict, optional): Config of a dataset whose samples are all unknown (or, with
            ``unknown_sets``, the dataset the sets' classes are taken from). Defaults to None.
        unknown_classes (Sequence[int], optional): Classes of ``unknown_source`` to keep; for ``cifar+10`` /
            ``cifar+50`` taken from the table whenever ``unknown_source`` is given. Defaults to None (all).
        unknown_sets (Sequence[str] | Mapping[str, Sequence[int | str]], optional): Named unknown sets: names of the
            benchmark's sets (``('easy', 'hard')``, see :func:`openmixosr.datasets.splits.get_unknown_sets`) or
            explicit sets ``{name: [class index or class name, ...]}``. Exclusive with ``with_unknown`` and
            ``unknown_classes``; a class may be in one set only, and every set must have samples. Defaults to None.
        pipeline (Sequence): Processing pipeline, built from OpenMixOSR's transform registry. Defaults to ().
        test_mode (bool): Raise instead of re-sampling when a sample fails in the pipeline. Defaults to False.
        indices (int | Sequence[int], optional): Keep only these samples of the combined list (or the first
            ``indices``), e.g. for smoke runs. Defaults to None.
        serialize_data (bool): Keep the data list pickled in one buffer shared by dataloader workers.
            Defaults to True.
    """

    def __init__(self,
                 source: dict,
                 benchmark: Optional[str] = None,
                 osr_split: int = 0,
                 known_classes: Optional[Sequence[int]] = None,
                 with_unknown: bool = False,
                 unknown_source: Optional[dict] = None,
                 unknown_classes: Optional[Sequence[int]] = None,
                 unknown_sets: Optional[Union[Sequence[str], Mapping[str, Sequence[Union[int, str]]]]] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        if unknown_sets is not None and (with_unknown or unknown_classes is not None):
            raise ValueError('`unknown_sets` lists the unknown classes itself: leave `with_unknown` False and '
                             '`unknown_classes` None.')
        if benchmark is not None:
            if known_classes is not None:
                raise ValueError('Give either `benchmark` (published split) or `known_classes`, not both.')
            known_classes, table_unknown = get_open_set_split(benchmark, osr_split)
            if table_unknown is not None:  # CIFAR+N: unknowns are listed CIFAR-100 classes only
                if unknown_classes is not None or unknown_sets is not None:
                    raise ValueError(f'{benchmark} fixes the unknown classes; do not pass `unknown_classes` or '
                                     '`unknown_sets`.')
                if with_unknown:
                    raise ValueError(f'{benchmark} takes its unknowns from CIFAR-100 (`unknown_source`) only; '
                                     'the other CIFAR-10 classes must not be used, so `with_unknown` must stay False.')
                if unknown_source is not None:  # a training set has no unknown source
                    unknown_classes = table_unknown
        elif osr_split != 0:
            raise ValueError(f'osr_split={osr_split!r} selects a published split and needs `benchmark`.')
        if unknown_classes is not None and unknown_source is None:
            raise ValueError('`unknown_classes` filters `unknown_source`, which is not given. For a CIFAR+N test set '
                             'pass `unknown_source=dict(type="OfflineCIFAR100", ..., split="test")`.')

        self.source = copy.deepcopy(dict(source))
        self.benchmark = benchmark
        self.osr_split = osr_split
        self.known_classes = None if known_classes is None else [int(c) for c in known_classes]
        self.with_unknown = with_unknown
        self.unknown_source = None if unknown_source is None else copy.deepcopy(dict(unknown_source))
        self.unknown_classes = None if unknown_classes is None else [int(c) for c in unknown_classes]
        self.unknown_sets = None if unknown_sets is None else resolve_unknown_sets(unknown_sets, benchmark)
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        if self.unknown_sets is not None:
            check_packs_unknown_set(transforms)
        super().__init__(
            ann_file='', pipeline=transforms, test_mode=test_mode, indices=indices, serialize_data=serialize_data)

    def _check_source_size(self, source) -> None:
        """The SSB tables index one dataset's classes: refuse a source with another number of classes."""
        required = None if self.benchmark is None else required_num_classes(self.benchmark)
        found = _num_classes(source)
        if required is not None and found != required:
            raise ValueError(f'Benchmark {self.benchmark!r} indexes the {required} classes of '
                             f'{benchmark_dataset(self.benchmark)}, but the source {self.source["type"]} has '
                             f'{found} classes: every index would name another class. Use the full dataset.')

    def _set_of_class(self, source, where: str) -> Dict[int, str]:
        """Source class index -> name of its unknown set, for the classes of ``self.unknown_sets`` in ``source``."""
        names = source.metainfo.get('classes')
        set_of = {}
        for set_name, classes in self.unknown_sets.items():
            what = f'unknown set {set_name!r}'
            for index in class_indices(classes, names, _num_classes(source), what, where):
                if index in set_of:
                    label = index if names is None else f'{index} ({names[index]})'
                    raise ValueError(f'Class {label} is in unknown set {set_of[index]!r} and in {set_name!r}: a class '
                                     'belongs to one set only.')
                set_of[index] = set_name
        return set_of

    def _load_known(self) -> List[dict]:
        """Samples of ``source``: known ones relabelled; others kept as unknown when ``with_unknown`` or, when the
        unknown sets come from the source itself, when their class is in a set."""
        source = build_source(self.source)
        names = source.metainfo.get('classes')
        self._check_source_size(source)
        if self.known_classes is None:
            if names is None:
                raise ValueError(f'{self.source["type"]} declares no classes; pass `known_classes` explicitly.')
            self.known_classes = list(range(len(names)))
        known = _check_class_list(self.known_classes, 'known_classes', _num_classes(source), self.source['type'])
        self._metainfo.update(
            classes=tuple(str(c) if names is None else names[c] for c in known),
            known_classes=tuple(known),
            benchmark=self.benchmark,
            osr_split=self.osr_split,
            unknown_sets=() if self.unknown_sets is None else tuple(self.unknown_sets))

        set_of = {}
        if self.unknown_sets is not None and self.unknown_source is None:
            set_of = self._set_of_class(source, f'the source {self.source["type"]}')
            both = sorted(set(set_of) & set(known))
            if both:
                raise ValueError(f'Classes {both[:5]} are known and in unknown set {set_of[both[0]]!r}; the unknown '
                                 'sets must be disjoint from the known classes.')
        new_label = {cls: label for label, cls in enumerate(known)}
        data_list = []
        for info in _data_infos(source):
            cls = int(info['gt_label'])
            label = new_label.get(cls, UNKNOWN_LABEL)
            if label != UNKNOWN_LABEL:
                if self.unknown_sets is not None:
                    info[UNKNOWN_SET_KEY] = KNOWN_SET_NAME
            elif cls in set_of:
                info[UNKNOWN_SET_KEY] = set_of[cls]
            elif not self.with_unknown:
                continue
            info['gt_label'] = label
            data_list.append(info)
        return data_list

    def _unknown_source_config(self) -> dict:
        """``unknown_source``, given the wnids its sets need when its class has a ``wnids`` argument left unset."""
        cfg = dict(self.unknown_source)
        if self.unknown_sets is None or 'wnids' in cfg:
            return cfg
        if 'wnids' in inspect.signature(_source_class(cfg['type']).__init__).parameters:
            wnids = needed_wnids(self.unknown_sets)
            if wnids is not None:
                cfg['wnids'] = wnids
        return cfg

    def _load_unknown_source(self) -> List[dict]:
        """Samples of ``unknown_source`` labelled -1: those in ``unknown_classes`` (all when None) or, with
        ``unknown_sets``, those whose class is in a set (marked with the set's name)."""
        if self.unknown_sets is not None:  # names shared with the known classes, before reading any file
            for set_name, classes in self.unknown_sets.items():
                clash = sorted(set(c for c in classes if isinstance(c, str)) & set(self._metainfo['classes']))
                if clash:
                    raise ValueError(f'Classes {clash[:5]} of unknown set {set_name!r} are known classes too.')
        source = build_source(self._unknown_source_config())
        set_of = None
        if self.unknown_sets is not None:
            set_of = self._set_of_class(source, f'the unknown_source {self.unknown_source["type"]}')
            keep = set(set_of)
        elif self.unknown_classes is not None:
            keep = set(_check_class_list(self.unknown_classes, 'unknown_classes', _num_classes(source),
                                         self.unknown_source['type']))
        else:
            keep = None
        data_list = []
        for info in _data_infos(source):
            cls = int(info['gt_label'])
            if keep is None or cls in keep:
                info['gt_label'] = UNKNOWN_LABEL
                if set_of is not None:
                    info[UNKNOWN_SET_KEY] = set_of[cls]
                data_list.append(info)
        return data_list

    def load_data_list(self):
        """The source's kept samples in source order, then those of ``unknown_source``."""
        data_list = self._load_known()
        if not any(info['gt_label'] != UNKNOWN_LABEL for info in data_list):
            raise ValueError(f'No sample of the known classes {self.known_classes} in {self.source}.')
        if self.unknown_source is not None:
            data_list += self._load_unknown_source()
        if self.unknown_sets is not None:
            found = {info[UNKNOWN_SET_KEY] for info in data_list}
            empty = [name for name in self.unknown_sets if name not in found]
            if empty:
                where = 'unknown_source' if self.unknown_source is not None else 'source'
                raise ValueError(f'Unknown sets {empty} have no sample in the {where} '
                                 f'{(self.unknown_source or self.source)["type"]}: is it the test split?')
        elif self.with_unknown or self.unknown_source is not None:
            if not any(info['gt_label'] == UNKNOWN_LABEL for info in data_list):
                raise ValueError('Unknown samples were requested (`with_unknown` / `unknown_source`) but none were '
                                 'found: every source class is known and no listed unknown class has samples.')
        return data_list

    def extra_repr(self):
        """The extra repr information of the dataset."""
        split = f'{self.benchmark} split {self.osr_split}' if self.benchmark else 'explicit / all classes'
        body = [f'Source: \t{self.source}', f'Known classes ({split}): \t{self.known_classes}']
        if self.with_unknown:
            body.append('Unknown: \tthe other classes of the source')
        if self.unknown_sets is not None:
            sizes = ', '.join(f'{name} ({len(classes)} classes)' for name, classes in self.unknown_sets.items())
            body.append(f'Unknown sets: \t{sizes}')
        if self.unknown_source is not None:
            classes = 'of the unknown sets' if self.unknown_sets is not None else self.unknown_classes or 'all'
            body.append(f'Unknown source: \t{self.unknown_source} classes {classes}')
        return body
