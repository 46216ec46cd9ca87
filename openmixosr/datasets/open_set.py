"""The open-set view of a closed-set dataset: known classes relabelled 0..K-1, unknown samples labelled -1."""
import copy
import inspect
import os.path as osp
from typing import List, Optional, Sequence

from mmpretrain.datasets import BaseDataset  # also fills mmpretrain's registries, the parents of ours

from openmixosr.registry import DATASETS, TRANSFORMS
from .layouts import missing_data_error
from .splits import get_open_set_split

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


def build_source(cfg: dict):
    """Build a closed-set source dataset from our registry: no pipeline, never downloading.

    Args:
        cfg (dict): Dataset config, e.g. ``dict(type='OfflineCIFAR10', data_root='data/cifar10', split='test')``.
            ``type`` is looked up in OpenMixOSR's registry first, then in mmpretrain's.

    Returns:
        BaseDataset: The source, fully loaded.
    """
    cfg = copy.deepcopy(dict(cfg))
    type_name = cfg.pop('type')
    cls = DATASETS.get(type_name) if isinstance(type_name, str) else type_name
    if cls is None:
        raise KeyError(f'Source dataset type {type_name!r} is not registered in OpenMixOSR or mmpretrain.')
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
        return cls(**cfg)
    except RuntimeError as err:
        # mmpretrain's downloadable datasets report missing files as RuntimeError suggesting download=True.
        if forced_offline:
            raise missing_data_error(name, data_root or '', reason=str(err)) from err
        raise


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
    :func:`openmixosr.datasets.splits.get_open_set_split`) or from ``known_classes``; with neither, all classes of
    ``source`` are known (an out-of-distribution pair such as CIFAR-10 vs CIFAR-100). Known class ``known[i]`` becomes
    label ``i`` (split ``[2, 4, ...]`` maps 2 -> 0, 4 -> 1). Unknown samples, labelled ``-1``, come from

    - the source's samples of the other classes, when ``with_unknown=True`` (the usual test set), and/or
    - every sample of ``unknown_source`` whose class is in ``unknown_classes`` (all classes when None). For
      ``cifar+10`` / ``cifar+50`` ``unknown_classes`` is the published CIFAR-100 list and the source's other CIFAR-10
      classes must stay out, so ``with_unknown=True`` is refused there.

    A training set keeps the defaults (no unknowns). The sources are built from OpenMixOSR's registry without a
    pipeline and never download (``download=False`` is forced where the class has that argument); missing files raise
    :class:`FileNotFoundError` with the expected layout. The metainfo ``classes`` are the names of the known classes in
    label order. All sources should give images the same way (``img`` arrays or ``img_path`` files) because one
    pipeline processes them all.

    Args:
        source (dict): Config of the closed-set dataset, e.g. ``dict(type='OfflineCIFAR10', data_root='data/cifar10',
            split='test')``.
        benchmark (str, optional): Published split table: ``'mnist'``, ``'svhn'``, ``'cifar10'``, ``'cifar+10'``,
            ``'cifar+50'`` or ``'tiny_imagenet'``. Defaults to None.
        osr_split (int): Index 0..4 of the published split; needs ``benchmark``. Configs pass their top-level
            ``split`` here. Defaults to 0.
        known_classes (Sequence[int], optional): Explicit known classes of ``source`` in label order; exclusive with
            ``benchmark``. Defaults to None (all classes, when there is no benchmark either).
        with_unknown (bool): Keep the source's samples of non-known classes, labelled -1. Defaults to False.
        unknown_source (dict, optional): Config of a dataset whose samples are all unknown. Defaults to None.
        unknown_classes (Sequence[int], optional): Classes of ``unknown_source`` to keep; for ``cifar+10`` /
            ``cifar+50`` taken from the table whenever ``unknown_source`` is given. Defaults to None (all).
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
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        if benchmark is not None:
            if known_classes is not None:
                raise ValueError('Give either `benchmark` (published split) or `known_classes`, not both.')
            known_classes, table_unknown = get_open_set_split(benchmark, osr_split)
            if table_unknown is not None:  # CIFAR+N: unknowns are listed CIFAR-100 classes only
                if unknown_classes is not None:
                    raise ValueError(f'{benchmark} fixes the unknown classes; do not pass `unknown_classes`.')
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
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(
            ann_file='', pipeline=transforms, test_mode=test_mode, indices=indices, serialize_data=serialize_data)

    def _load_known(self) -> List[dict]:
        """Samples of ``source``: known ones relabelled, others kept as unknown only when ``with_unknown``."""
        source = build_source(self.source)
        names = source.metainfo.get('classes')
        if self.known_classes is None:
            if names is None:
                raise ValueError(f'{self.source["type"]} declares no classes; pass `known_classes` explicitly.')
            self.known_classes = list(range(len(names)))
        known = _check_class_list(self.known_classes, 'known_classes', _num_classes(source), self.source['type'])
        self._metainfo['classes'] = tuple(str(c) if names is None else names[c] for c in known)

        new_label = {cls: label for label, cls in enumerate(known)}
        data_list = []
        for info in _data_infos(source):
            label = new_label.get(int(info['gt_label']), UNKNOWN_LABEL)
            if label != UNKNOWN_LABEL or self.with_unknown:
                info['gt_label'] = label
                data_list.append(info)
        return data_list

    def _load_unknown_source(self) -> List[dict]:
        """Samples of ``unknown_source`` in ``unknown_classes`` (all when None), labelled -1."""
        source = build_source(self.unknown_source)
        keep = None
        if self.unknown_classes is not None:
            keep = set(_check_class_list(self.unknown_classes, 'unknown_classes', _num_classes(source),
                                         self.unknown_source['type']))
        data_list = []
        for info in _data_infos(source):
            if keep is None or int(info['gt_label']) in keep:
                info['gt_label'] = UNKNOWN_LABEL
                data_list.append(info)
        return data_list

    def load_data_list(self):
        """The source's kept samples in source order, then those of ``unknown_source``."""
        data_list = self._load_known()
        if not any(info['gt_label'] != UNKNOWN_LABEL for info in data_list):
            raise ValueError(f'No sample of the known classes {self.known_classes} in {self.source}.')
        if self.unknown_source is not None:
            data_list += self._load_unknown_source()
        if self.with_unknown or self.unknown_source is not None:
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
        if self.unknown_source is not None:
            body.append(f'Unknown source: \t{self.unknown_source} classes {self.unknown_classes or "all"}')
        return body
