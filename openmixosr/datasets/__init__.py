"""Open-set datasets: the published class splits, the open-set wrapper and the closed-set sources it reads."""
from .cifar import OfflineCIFAR10, OfflineCIFAR100
from .digits import Digits
from .layouts import DATA_LAYOUTS, missing_data_error
from .mnist import OfflineMNIST, read_idx
from .open_set import UNKNOWN_LABEL, OpenSetDataset, build_source
from .partition import select_partition, stratified_partition
from .source_dataset import SourceDataset
from .splits import BENCHMARKS, get_open_set_split
from .stl10 import STL10
from .svhn import SVHN
from .tiny_imagenet import TinyImageNet
from .transforms import HueSafeColorJitter, adjust_hue, upstream_hue_jitter_fails

__all__ = [
    'BENCHMARKS', 'DATA_LAYOUTS', 'Digits', 'HueSafeColorJitter', 'OfflineCIFAR10', 'OfflineCIFAR100', 'OfflineMNIST',
    'OpenSetDataset', 'STL10', 'SVHN', 'SourceDataset', 'TinyImageNet', 'UNKNOWN_LABEL', 'adjust_hue', 'build_source',
    'get_open_set_split', 'missing_data_error', 'read_idx', 'select_partition', 'stratified_partition',
    'upstream_hue_jitter_fails'
]
