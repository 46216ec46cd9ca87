"""Open-set datasets: the published class splits, the open-set wrapper and the closed-set sources it reads."""
from .cifar import OfflineCIFAR10, OfflineCIFAR100
from .digits import Digits
from .imagenet21k import ImageNet21KFolder
from .layouts import DATA_LAYOUTS, EmptyImageFileError, MissingDataError, check_image_files, missing_data_error
from .loading import StrictLoadImageFromFile, UnreadableImageError
from .mnist import OfflineMNIST, read_idx
from .open_set import UNKNOWN_LABEL, OpenSetDataset, build_source
from .partition import select_partition, stratified_partition
from .source_dataset import SourceDataset
from .splits import (BENCHMARKS, NAMED_SET_BENCHMARKS, UNKNOWN_SET_NAMES, benchmarks, get_open_set_split,
                     get_unknown_sets, register_benchmark, required_num_classes, split_count)
from .stanford_cars import StanfordCarsFolder
from .stl10 import STL10
from .svhn import SVHN
from .tiny_imagenet import TinyImageNet
from .transforms import (HueSafeColorJitter, PaddingModeRandomCrop, adjust_hue, upstream_crop_ignores_padding_mode,
                         upstream_hue_jitter_fails)
from .unknown_sets import KNOWN_SET_NAME, UNKNOWN_SET_KEY

__all__ = [
    'BENCHMARKS', 'DATA_LAYOUTS', 'Digits', 'EmptyImageFileError', 'HueSafeColorJitter', 'ImageNet21KFolder',
    'KNOWN_SET_NAME', 'MissingDataError', 'NAMED_SET_BENCHMARKS', 'OfflineCIFAR10', 'OfflineCIFAR100', 'OfflineMNIST',
    'OpenSetDataset', 'PaddingModeRandomCrop', 'STL10', 'SVHN', 'SourceDataset', 'StanfordCarsFolder',
    'StrictLoadImageFromFile', 'TinyImageNet', 'UNKNOWN_LABEL', 'UNKNOWN_SET_KEY', 'UNKNOWN_SET_NAMES',
    'UnreadableImageError', 'adjust_hue', 'benchmarks', 'build_source', 'check_image_files', 'get_open_set_split',
    'get_unknown_sets', 'missing_data_error', 'read_idx', 'register_benchmark', 'required_num_classes',
    'select_partition', 'split_count', 'stratified_partition', 'upstream_crop_ignores_padding_mode',
    'upstream_hue_jitter_fails'
]
